"""Probes for load balancers and orchestrators: /healthz (the process answers) and
/readyz (it can reach its database; each read replica's health is reported, but a
replica that is down does not make the service unready: reads then go to the primary)."""

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import JsonResponse

from edge.replicas import replicas


async def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _replica_standings() -> dict:
    return {alias: replicas.check(alias).as_json() for alias in replicas.aliases}


async def readyz(request):
    try:
        await sync_to_async(_database_answers)()
    except DatabaseError as error:
        return JsonResponse({"status": "unavailable", "database": type(error).__name__}, status=503)
    body = {"status": "ok", "database": "ok"}
    if replicas.aliases:
        body["replicas"] = await sync_to_async(_replica_standings)()
    return JsonResponse(body)
