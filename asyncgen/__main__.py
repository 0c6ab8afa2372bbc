from asyncgen.launch import main

main()
