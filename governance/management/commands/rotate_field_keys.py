from django.core.management.base import BaseCommand
from django.db import connection, transaction

from governance import crypto

# (table, column, its blind-index column) of every encrypted personal-data field.
ENCRYPTED_COLUMNS = [("events_event", "reporter_phone", "reporter_phone_index")]


class Command(BaseCommand):
    help = (
        "Re-encrypt residents' personal data with the first key of FIELD_ENCRYPTION_KEYS, so "
        "that older keys can then be removed."
    )

    def handle(self, *args, **options):
        for table, column, index in ENCRYPTED_COLUMNS:
            done = 0
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                for pk, token in cursor.fetchall():
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s, {index} = %s WHERE id = %s",  # noqa: S608
                        [crypto.rotate(token), crypto.blind_index(crypto.decrypt(token)), pk],
                    )
                    done += 1
            self.stdout.write(f"{table}.{column}: {done} values re-encrypted")
