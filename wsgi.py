"""WSGI entry point: gunicorn wsgi:app"""
from diagnosis import create_app

app = create_app()
