from django.core.cache import cache
from django.http import JsonResponse


async def front_page(request):
    hits = cache.get("hits", 0)  # expect: ASF230
    theme = request.session.get("theme", "light")
    await cache.aset("hits", hits + 1)
    return JsonResponse({"hits": hits, "theme": theme})
