from __future__ import annotations

import asyncio
import logging

from .settings import get_settings


def main() -> None:
    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .app import app

    asyncio.run(app.run())


if __name__ == "__main__":
    main()
