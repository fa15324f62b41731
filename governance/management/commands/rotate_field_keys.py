from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from governance import crypto
from governance.fields import EncryptedTextField


def encrypted_columns() -> list[tuple[str, str, str | None]]:
    """Every EncryptedTextField of every model: (table, column, its blind index column, named
    ``<field>_index`` by convention, or None). Found, not listed, so that no column is missed."""
    found = []
    for model in apps.get_models():
        names = {f.name: f for f in model._meta.concrete_fields}
        for field in names.values():
            if isinstance(field, EncryptedTextField):
                index = names.get(f"{field.name}_index")
                found.append((model._meta.db_table, field.column, index.column if index else None))
    return found


class Command(BaseCommand):
    help = (
        "Re-encrypt residents' personal data with the first key of FIELD_ENCRYPTION_KEYS, so "
        "that older keys can then be removed."
    )

    def handle(self, *args, **options):
        for table, column, index in encrypted_columns():
            done = 0
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                for pk, token in cursor.fetchall():
                    if index:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s, {index} = %s WHERE id = %s",  # noqa: S608
                            [crypto.rotate(token), crypto.blind_index(crypto.decrypt(token)), pk],
                        )
                    else:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                            [crypto.rotate(token), pk],
                        )
                    done += 1
            self.stdout.write(f"{table}.{column}: {done} values re-encrypted")
