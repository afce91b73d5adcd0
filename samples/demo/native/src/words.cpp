#include <cctype>
#include <sstream>
#include <string>
#include <unordered_set>
#include "demo.h"

extern "C" int demo_word_count(const char *text)
{
    std::istringstream in(text);
    std::unordered_set<std::string> unique;
    std::string word;
    while (in >> word) {
        for (auto &c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        unique.insert(word);
    }
    return static_cast<int>(unique.size()) * DEMO_LEVEL / DEMO_LEVEL;
}
