"""nginxcache for Django: add "nginxcache.django" to INSTALLED_APPS for `manage.py nginxcache
render|lint|probe|explain`, which read STATIC_ROOT, STATIC_URL and the staticfiles storage
instead of asking; the NGINXCACHE setting; system checks; and a storage that renders after
every collectstatic (nginxcache.django.storage), opt-in. Django is imported only from here
down: `import nginxcache` never imports it."""
