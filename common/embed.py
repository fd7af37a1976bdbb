#!/usr/bin/env python3
"""Write a C file holding one text file as a NUL-terminated string."""
import sys

src, out, symbol = sys.argv[1:4]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* generated from %s; do not edit */\n' % src.split('/')[-1])
    f.write('#include <stddef.h>\n')
    f.write('const char %s[] = {\n' % symbol)
    for i in range(0, len(data), 16):
        f.write('    ' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    f.write('    0x00 };\n')
    f.write('const size_t %s_len = %d;\n' % (symbol, len(data)))
