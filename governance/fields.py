from django.db import models

from governance import crypto


class EncryptedTextField(models.TextField):
    """Stored encrypted (Fernet), read as clear text in Python. Not searchable: pair it with
    a blind-index column where look-ups are needed."""

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
