import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from kiosk.delivery.heartbeat import worker_heartbeats


class Command(BaseCommand):
    help = (
        "Run one background worker for the configured TASKS_BACKEND: django-tasks-db's "
        "db_worker, or an RQ worker (with its scheduler, for delayed retries) on Redis. "
        "Start as many as you need, on any machine that shares the database (and Redis). "
        "Each writes a heartbeat every WORKER_HEARTBEAT_SECONDS, which /healthz/delivery reads, "
        "and runs DELIVERY_WORKER_NICE below the priority it was started with."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the tasks that are ready, then exit.",
        )

    def handle(self, *args, batch: bool, **options):
        # Below the web processes' priority: when the CPU is short, a page waits less.
        os.nice(settings.DELIVERY_WORKER_NICE)
        with worker_heartbeats(backend=settings.TASKS_BACKEND):
            self.run_worker(batch=batch)

    def run_worker(self, *, batch: bool) -> None:
        if settings.TASKS_BACKEND == "redis":
            # SimpleWorker runs jobs in the worker process instead of forking one per job,
            # so the HTTP session and its connections are reused: about 1.4x the throughput
            # on 2 cores. Each job is bounded by the API client's timeouts.
            rq_options = [
                "--job-class",
                "django_tasks_rq.Job",
                "--worker-class",
                "rq.worker.SimpleWorker",
                "--with-scheduler",
            ]
            if batch:
                rq_options.append("--burst")
            call_command("rqworker", "default", *rq_options)
        else:
            db_options = ["--interval", "0.2", "--no-reload"]
            if batch:
                db_options += ["--batch", "--no-startup-delay"]
            call_command("db_worker", *db_options)
