from asyncsafe.cli import main

raise SystemExit(main())
