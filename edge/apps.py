from django.apps import AppConfig


class EdgeConfig(AppConfig):
    name = "edge"
    verbose_name = "HTTP edge"

    def ready(self) -> None:
        from edge import middleware  # noqa: F401  (its deploy check)
