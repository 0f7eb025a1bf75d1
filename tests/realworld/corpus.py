"""The real-world corpora: Django applications whose migration histories come from the package index.

``fast``  Django's own contrib apps (auth, contenttypes, admin, sessions, sites, flatpages,
          redirects): what ``make test`` replays.
``full``  ``fast`` plus wagtail (its core and contrib apps, with django-taggit and
          django-modelcluster), django-oauth-toolkit and django-celery-beat: what
          ``make test-realworld`` replays (the ``realworld`` extra installs them).

A corpus is a list of INSTALLED_APPS; the replay applies Django's migration plan for them,
one migration at a time (see :mod:`tests.realworld.replay`).
"""

from __future__ import annotations

FAST_APPS: tuple[str, ...] = (
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.redirects",
)

FULL_APPS: tuple[str, ...] = FAST_APPS + (
    "django.contrib.messages",
    "taggit",
    "modelcluster",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "oauth2_provider",
    "django_celery_beat",
)

CORPORA: dict[str, tuple[str, ...]] = {"fast": FAST_APPS, "full": FULL_APPS}

# The packages (distribution names) each corpus comes from, for docs/REALWORLD.md and the report.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fast": ("Django",),
    "full": ("Django", "wagtail", "django-taggit", "django-modelcluster", "django-oauth-toolkit",
             "django-celery-beat"),
}


def versions(corpus: str) -> dict[str, str]:
    """The installed version of every distribution of ``corpus`` ('missing' when not installed)."""
    from importlib import metadata

    found: dict[str, str] = {}
    for name in DISTRIBUTIONS[corpus]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found
