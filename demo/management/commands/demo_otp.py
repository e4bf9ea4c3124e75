from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import seed as demo


class Command(BaseCommand):
    help = "Muestra el código de verificación en dos pasos vigente de un usuario de demostración (make otp USER=...)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        # Two locks: only a local demo (DEBUG on; production settings never are), and only a demo
        # ministry user whose device still has the published demo key.
        if not settings.DEBUG:
            raise CommandError(
                "Solo en la demostración local (DEBUG activo): en producción no hay códigos que mostrar."
            )
        try:
            code = demo.demo_code(username)
        except ValueError:
            raise CommandError(
                f"{username!r} no es un usuario de demostración del Ministerio con la clave de demostración."
            ) from None
        self.stdout.write(code)
