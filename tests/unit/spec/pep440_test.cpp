#include <imgspec/core/error.hpp>
#include <imgspec/spec/pep440.hpp>

#include <gtest/gtest.h>

#include <ostream>
#include <string>

using imgspec::Error;
using imgspec::ErrorKind;
using imgspec::spec::python_satisfies;

namespace {

struct SatisfiesCase {
    const char* version;
    const char* specifiers;
    bool expected;
};

std::ostream& operator<<(std::ostream& os, const SatisfiesCase& c) {
    return os << c.version << " in '" << c.specifiers << "'";
}

const SatisfiesCase satisfies_cases[] = {
    {"3.12", ">=3.10", true},
    {"3.9", ">=3.10", false},
    {"3.10", ">=3.10", true},
    {"3.11", "<3.12", true},
    {"3.12", "<3.12", false},
    {"3.12", "<=3.12", true},
    {"3.13", "<=3.12", false},
    {"3.12", ">3.12", true}, // 3.12.1 > 3.12
    {"3.12.0", ">3.12", false},
    {"3.11", ">3.12", false},
    {"3.12", "==3.12.*", true},
    {"3.13", "==3.12.*", false},
    {"3.12", "==3.*", true},
    {"3.12", "==3.12", true},
    {"3.12", "==3.12.0", true},
    {"3.12", "==3.12.4", true},
    {"3.12.3", "==3.12.4", false},
    {"3.11", "~=3.11", true},
    {"3.13", "~=3.11", true},
    {"4.0", "~=3.11", false},
    {"3.10", "~=3.11", false},
    {"3.11", "~=3.11.2", true},
    {"3.12", "~=3.11.2", false},
    {"3.11.1", "~=3.11.2", false},
    {"3.9", "!=3.9.*", false},
    {"3.10", "!=3.9.*", true},
    {"3.9", "!=3.9", true}, // 3.9.1 != 3.9 in PEP 440
    {"3.9.0", "!=3.9", false},
    {"3.12", ">=3.10,<3.13", true},
    {"3.13", ">=3.10,<3.13", false},
    {"3.9", ">=3.10,<3.13", false},
    {"3.12", " >= 3.10 , < 3.13 ,", true},
    {"3.11", ">=3.8,!=3.9.*,!=3.10.*,<4", true},
    {"3.10", ">=3.8,!=3.9.*,!=3.10.*,<4", false},
    {"3.12", ">=3.12.1", true},
    {"3.12.0", ">=3.12.1", false},
    {"3.12", ">=3.12.1,<3.12.3", true},
    {"3.12", ">3.12.2,<3.12.3", false},
    {"3.12", "==3.12.*,!=3.12.0", true},
    {"3.13", ">=3.13.0rc1", true},
    {"3.13", "<3.13.0rc1", false},
    {"3.12", "<3.13.0a1", true},
    {"3.12", "<=3.12.post1", true},
    {"3.12", "===3.12", true},
    {"3.12", "===3.12.0", false},
    {"3.12", "", true},
    {"3.12", "==v3.12", true},
    {"3.12", "==3.12.0+local", false},
};

class Pep440Satisfies : public testing::TestWithParam<SatisfiesCase> {};

TEST_P(Pep440Satisfies, Specifiers) {
    const SatisfiesCase& c = GetParam();
    EXPECT_EQ(python_satisfies(c.version, c.specifiers), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Pep440, Pep440Satisfies, testing::ValuesIn(satisfies_cases));

TEST(Pep440SatisfiesErrors, BadInputThrowsInvalidSpec) {
    const std::pair<const char*, const char*> bad[] = {
        {"3.12", "=>3.10"}, {"3.12", "3.10"},    {"3.12", "~=3"},     {"3.12", ">=3.10.*"},
        {"3.12", "~>3.1"},  {"3.12", ">=3.10;"}, {"3.12", ">="},      {"3.12", ">=3.10+local"},
        {"abc", ">=3"},     {"", ">=3"},         {"3.12", "==3.*.1"}, {"3.12", ">=3..10"},
        {"3.12", "v3.12"},
    };
    for (const auto& [v, s] : bad) {
        try {
            (void)python_satisfies(v, s);
            ADD_FAILURE() << "no error for " << v << " in '" << s << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::invalid_spec) << v << " " << s;
        }
    }
}

} // namespace
