using System.Text;
using Zccache.Testing;

namespace Zccache.Bench;

/// <summary>
/// A generated C++ code base of realistic shape: each source includes a handful of standard
/// headers and two project headers, and defines a class with templates, containers and strings,
/// so a compile costs what a typical translation unit costs (a few hundred ms with -O2).
/// </summary>
public static class Fixture
{
    public static void Write(Workspace ws, string dir, int sources)
    {
        ws.Write($"{dir}/include/common.h", """
            #pragma once
            #include <cstdint>
            #include <memory>
            #include <string>
            #include <vector>
            namespace bench {
            struct Record { std::uint64_t id; std::string name; std::vector<double> values; };
            template <typename T> T clamp_to(T v, T lo, T hi) { return v < lo ? lo : (hi < v ? hi : v); }
            std::string describe(const Record &r);
            }
            """);
        for (int i = 0; i < sources; i++)
        {
            ws.Write($"{dir}/include/module_{i:D3}.h", $$"""
                #pragma once
                #include "common.h"
                namespace bench::m{{i}} {
                class Processor {
                public:
                    explicit Processor(std::size_t capacity);
                    void add(Record r);
                    double score() const;
                    std::vector<std::string> report() const;
                private:
                    std::vector<Record> records_;
                    std::size_t capacity_;
                };
                }
                """);
            ws.Write($"{dir}/src/module_{i:D3}.cpp", Source(i));
        }
    }

    private static string Source(int i)
    {
        var sb = new StringBuilder();
        sb.AppendLine($$"""
            #include <algorithm>
            #include <map>
            #include <numeric>
            #include <sstream>
            #include <unordered_map>
            #include "module_{{i:D3}}.h"

            namespace bench::m{{i}} {
            namespace {
            template <typename Container>
            double weighted_mean(const Container &c) {
                double total = 0, weight = 0;
                std::size_t k = 1;
                for (const auto &v : c) { total += v * static_cast<double>(k); weight += static_cast<double>(k); ++k; }
                return weight == 0 ? 0 : total / weight;
            }
            }

            Processor::Processor(std::size_t capacity) : capacity_(capacity) { records_.reserve(capacity); }

            void Processor::add(Record r) {
                if (records_.size() == capacity_) records_.erase(records_.begin());
                std::sort(r.values.begin(), r.values.end());
                records_.push_back(std::move(r));
            }

            double Processor::score() const {
                std::vector<double> means;
                for (const auto &r : records_) means.push_back(weighted_mean(r.values));
                return std::accumulate(means.begin(), means.end(), 0.0) * {{i + 1}};
            }

            std::vector<std::string> Processor::report() const {
                std::map<std::string, std::vector<double>> byName;
                for (const auto &r : records_) byName[r.name].insert(byName[r.name].end(), r.values.begin(), r.values.end());
                std::vector<std::string> lines;
                for (const auto &[name, values] : byName) {
                    std::ostringstream out;
                    out << name << ": " << values.size() << " values, mean " << weighted_mean(values);
                    lines.push_back(out.str());
                }
                return lines;
            }
            """);
        for (int f = 0; f < 3; f++)
        {
            sb.AppendLine($$"""
                std::unordered_map<std::string, double> summarize_{{f}}(const std::vector<Record> &records) {
                    std::unordered_map<std::string, double> result;
                    for (const auto &r : records) {
                        double v = clamp_to(weighted_mean(r.values) * {{f + 2}}.0, -1e9, 1e9);
                        auto it = result.find(r.name);
                        if (it == result.end()) result.emplace(r.name, v);
                        else it->second = std::max(it->second, v);
                    }
                    return result;
                }
                """);
        }
        sb.AppendLine("}");
        return sb.ToString();
    }
}
