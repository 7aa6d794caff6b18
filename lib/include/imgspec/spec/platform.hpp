#pragma once
// A build platform ("linux/arm64") as a value. It holds its one canonical spelling, so two
// spellings of one platform ("linux/arm64/v8" and "linux/arm64") compare equal, hash to one tag
// and cannot both be listed.

#include <imgspec/core/error.hpp>

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec {

struct Node;

// The platforms a spec or `--platform` may name, as they may be spelled (linux/arm64/v8 among
// them). For hints, completions and the schema.
const std::vector<std::string>& known_platforms();
// "" when `platform` is one of known_platforms(), else a message.
std::string check_platform(std::string_view platform);

// The canonical spelling of an OCI platform "os/arch[/variant]", as docker reports it: lower case,
// architecture aliases resolved (aarch64 -> arm64, x86_64 -> amd64), the default variant dropped
// (arm64/v8 -> arm64) or added (arm -> arm/v7); no os means linux. Any text; throws nothing.
std::string normalize_platform(std::string_view platform);

class Platform {
  public:
    // A spelling from known_platforms(), normalized; nullopt for any other text.
    static std::optional<Platform> parse(std::string_view text);
    // A platform the program itself names, such as a default. Throws Error (other) when it is not
    // one of known_platforms(): that is a bug.
    explicit Platform(std::string_view known);

    // The canonical spelling: what buildx is given and the tag hashes.
    const std::string& str() const { return m_name; }

    friend bool operator==(const Platform&, const Platform&) = default;
    friend std::strong_ordering operator<=>(const Platform&, const Platform&) = default;

  private:
    struct Canonical {};
    Platform(Canonical /*unused*/, std::string name) : m_name(std::move(name)) {}
    std::string m_name;
};

// The canonical spellings, in the order given.
std::vector<std::string> platform_names(const std::vector<Platform>& platforms);

// The `platform:` value of a spec (one string or a list; `written` holds its strings, read by the
// caller) as platforms in the order written. An unknown platform, one listed twice in any spelling
// and an empty list are errors in `diags`, at the item's line and column.
std::vector<Platform> read_platforms(const Node& value, const std::vector<std::string>& written,
                                     const std::string& file, Diagnostics& diags);

} // namespace imgspec::spec
