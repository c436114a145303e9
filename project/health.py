"""Probes for load balancers and orchestrators: /healthz (the process answers) and
/readyz (it can reach its database)."""

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import JsonResponse


async def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def readyz(request):
    try:
        await sync_to_async(_database_answers)()
    except DatabaseError as error:
        return JsonResponse({"status": "unavailable", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
