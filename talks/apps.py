from django.apps import AppConfig


class TalksConfig(AppConfig):
    name = "talks"
    verbose_name = "Talks catalogue"

    def ready(self) -> None:
        # Registers the SQLite word_similarity function on every new connection; it must
        # be connected before the first connection opens.
        from talks import search  # noqa: F401
