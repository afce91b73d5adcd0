#include <algorithm>
#include <numeric>
#include <vector>
#include "demo.h"

namespace {
template <typename T>
T kahan_sum(const std::vector<T> &values)
{
    T sum{}, compensation{};
    for (T v : values) {
        T y = v - compensation;
        T t = sum + y;
        compensation = (t - sum) - y;
        sum = t;
    }
    return sum;
}
}

extern "C" double demo_mean(const double *values, size_t count)
{
    if (count == 0) return 0.0;
    std::vector<double> copy(values, values + count);
    std::sort(copy.begin(), copy.end());
    return kahan_sum(copy) / static_cast<double>(count);
}
