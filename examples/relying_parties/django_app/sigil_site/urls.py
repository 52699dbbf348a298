"""``/oidc/`` (mozilla-django-oidc's login and callback) and ``/whoami/``, a page only a
signed-in user sees, showing who Django thinks they are."""
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


@login_required
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"username": request.user.username, "email": request.user.email})


urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), path("whoami/", whoami)]
