"""The interface's message catalog, loaded without Flask so reports render from the CLI too."""
from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from babel.support import NullTranslations, Translations


@lru_cache(maxsize=4)
def translations(lang: str) -> NullTranslations:
    if lang == "zh":
        return NullTranslations()  # message ids are the Chinese texts
    # find_spec locates the catalog's package without importing it (and Flask with it).
    catalogs = Path(find_spec("diagnosis").submodule_search_locations[0]) / "translations"
    return Translations.load(str(catalogs), [lang])


def gettext_for(lang: str):
    tr = translations(lang)

    def gettext(message: str, **variables) -> str:
        text = tr.gettext(message)
        return text % variables if variables else text

    return gettext
