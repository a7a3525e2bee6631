from asyncsafe.cli import console_main

console_main()
