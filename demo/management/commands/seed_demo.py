from django.core.management.base import BaseCommand

from demo import seed as demo


class Command(BaseCommand):
    help = "Carga los datos de demostración (idempotente)."

    def handle(self, *args, **options):
        demo.seed(stdout=self.stdout)
