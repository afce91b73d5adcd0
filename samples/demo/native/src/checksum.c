#include "demo.h"

/* Adler-32, as zlib computes it. */
size_t demo_checksum(const unsigned char *data, size_t length)
{
    unsigned long a = 1, b = 0;
    for (size_t i = 0; i < length; ++i) {
        a = (a + data[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}
