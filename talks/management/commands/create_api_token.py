"""`manage.py create_api_token USERNAME`: issue (or with --revoke, revoke) an API token."""

from django.core.management.base import BaseCommand, CommandError

from talks.tokens import token_create, token_revoke, user_by_username


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its secret once; "
        "with --revoke, revoke the user's tokens (only --name's, if given)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", help="What the token is for (default: 'default').")
        parser.add_argument("--expires-in-days", type=int, help="Expire after N days.")
        parser.add_argument("--revoke", action="store_true", help="Revoke instead of create.")
        parser.add_argument(
            "--permissions",
            help="Comma-separated permissions the token acts with, each one the user has "
            "(e.g. talks.change_talk,talks.add_topic); default: all of the user's.",
        )

    def handle(
        self, *args, username: str, name, expires_in_days, revoke: bool, permissions, **options
    ):
        try:
            user = user_by_username(username)
        except Exception as error:
            raise CommandError(f"No user called {username!r}.") from error
        if revoke:
            count = token_revoke(user=user, name=name)
            self.stdout.write(f"Revoked {count} token{'s' if count != 1 else ''} of {username}.")
            return
        if expires_in_days is not None and expires_in_days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        if not (user.is_active and user.is_staff):
            self.stderr.write(
                f"Warning: {username} is not an active staff user; mutations will be refused."
            )
        narrowed = None if permissions is None else [p.strip() for p in permissions.split(",")]
        try:
            token, secret = token_create(
                user=user,
                name=name or "default",
                expires_in_days=expires_in_days,
                permissions=[p for p in narrowed if p] if narrowed is not None else None,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        expiry = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
        acting = f", acting with {', '.join(token.permissions)} only" if token.permissions else ""
        self.stderr.write(
            f"Token {token.name!r} for {username}{expiry}{acting}. Shown once; store it now:"
        )
        self.stdout.write(secret)
