from django.http import JsonResponse


async def stock(request):
    return JsonResponse({"left": 3})
