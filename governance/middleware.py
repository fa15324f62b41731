from django.conf import settings

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
