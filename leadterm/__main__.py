from leadterm.cli import main

main()
