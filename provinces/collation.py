"""Spanish sorting of names: "Córdoba" before "Corrientes", "Entre Ríos" before "Formosa".

Names of provinces and activities use the ``SPANISH`` collation, created by a migration from
the first of ``SOURCES`` the server has: PostgreSQL's ICU collation for es-AR (what a production
server built with ICU, as Debian's and the official images are, provides), else a libc Spanish
or UTF-8 locale. A server with none (an embedded one built without ICU on a system without those
locales) falls back to byte order, so the application still runs there, unsorted by accent.
"""

SPANISH = "interzafra_es"

SOURCES = ("es-AR-x-icu", "es-x-icu", "und-x-icu", "es_AR.utf8", "es_AR.UTF-8", "es_ES.utf8", "en_US.utf8", "C")


def create_spanish_collation(schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [SPANISH])
        if cursor.fetchone():
            return
        cursor.execute("SELECT collname FROM pg_collation WHERE collname = ANY(%s)", [list(SOURCES)])
        available = {row[0] for row in cursor.fetchall()}
        source = next(name for name in SOURCES if name in available or name == "C")
        cursor.execute(f'CREATE COLLATION {SPANISH} FROM "{source}"')
