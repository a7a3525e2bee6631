from django.contrib.auth import get_user_model


def user_model():
    return get_user_model()  # called later, not at import: safe before setup
