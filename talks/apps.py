from django.apps import AppConfig


class TalksConfig(AppConfig):
    name = "talks"
    verbose_name = "Talks catalogue"

    def ready(self) -> None:
        # Registers the `__any` lookup, and the SQLite word_similarity function on every
        # new connection (connected before the first connection opens).
        from talks import lookups, search  # noqa: F401
