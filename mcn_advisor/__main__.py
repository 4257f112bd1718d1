from mcn_advisor.cli import main

main()
