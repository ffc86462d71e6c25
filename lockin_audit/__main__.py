from lockin_audit.cli import main

main()
