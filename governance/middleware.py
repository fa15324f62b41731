from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# No inline scripts or styles anywhere: every asset is a vendored file under static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The offline Swagger UI and the Django admin ship inline scripts of their own.
        exempt = request.path.startswith(("/api/docs/", "/" + settings.ADMIN_URL))
        if not exempt:
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class RefuseNulBytesMiddleware:
    """A NUL character in the address is no one's real request, and PostgreSQL refuses it
    in text: answer 400 here rather than a server error in whichever view reads the path.
    (Forms already refuse NUL in what they are sent: Django's ProhibitNullCharactersValidator.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            message = _("The address holds a character that is not allowed.")
            if request.path.startswith("/api/"):  # the API's one error format
                return JsonResponse(
                    {"code": "invalid", "message": message}, status=400,
                    json_dumps_params={"ensure_ascii": False},
                )  # fmt: skip
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
