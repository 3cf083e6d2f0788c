from xmbench.cli import main

raise SystemExit(main())
