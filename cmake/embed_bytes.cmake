# Writes the bytes of IN as a comma-separated list of hex literals to OUT (for #include in an array).
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "${body}\n")
