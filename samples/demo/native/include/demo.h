#pragma once
#include <stddef.h>
#ifndef DEMO_LEVEL
#define DEMO_LEVEL 1
#endif
#ifdef __cplusplus
extern "C" {
#endif
size_t demo_checksum(const unsigned char *data, size_t length);
int demo_word_count(const char *text);
double demo_mean(const double *values, size_t count);
#ifdef __cplusplus
}
#endif
