#include <imgspec/lock/image_refs.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>

namespace imgspec::lock {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string_view ltrim(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && is_space(s[i])) {
        ++i;
    }
    return s.substr(i);
}

// One instruction with its continuation lines joined, and where each joined piece starts in the
// file (one entry per physical line, not per character: a 13 MB RUN stays 13 MB).
struct Logical {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> pieces; // (offset in text, offset in file)

    std::size_t file_offset(std::size_t at) const {
        auto it = std::upper_bound(pieces.begin(), pieces.end(), at,
                                   [](std::size_t a, const auto& p) { return a < p.first; });
        return std::prev(it)->second + (at - std::prev(it)->first);
    }
};

struct Token {
    std::string_view text;
    std::size_t at; // index in Logical::text
};

std::vector<Token> tokens(const std::string& text) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) {
            ++i;
        }
        if (i > start) {
            out.push_back({std::string_view(text).substr(start, i - start), start});
        }
    }
    return out;
}

class Scanner {
  public:
    explicit Scanner(std::string_view text) : m_text(text) {
        for (std::size_t b = 0; b <= text.size();) {
            std::size_t e = text.find('\n', b);
            if (e == std::string_view::npos) {
                if (b < text.size()) {
                    m_lines.push_back({b, text.size()});
                }
                break;
            }
            m_lines.push_back({b, e});
            b = e + 1;
        }
    }

    ImageScan run() {
        std::size_t li = directives();
        while (li < m_lines.size()) {
            std::string_view t = ltrim(line(li));
            if (t.empty() || t[0] == '#') {
                ++li;
                continue;
            }
            Logical l;
            for (bool first = true; li < m_lines.size(); first = false) {
                std::string_view cur = line(li);
                if (!first && (ltrim(cur).empty() || ltrim(cur)[0] == '#')) {
                    ++li; // comments and blank lines inside a continued instruction
                    continue;
                }
                std::size_t e = cur.size();
                while (e > 0 && is_space(cur[e - 1])) {
                    --e;
                }
                bool more = e > 0 && cur[e - 1] == m_escape;
                std::size_t take = more ? e - 1 : cur.size();
                l.pieces.emplace_back(l.text.size(), m_lines[li].first);
                l.text.append(cur.substr(0, take));
                ++li;
                if (!more) {
                    break;
                }
            }
            li = instruction(l, li);
        }
        return std::move(m_scan);
    }

  private:
    std::string_view line(std::size_t i) const {
        return m_text.substr(m_lines[i].first, m_lines[i].second - m_lines[i].first);
    }

    // Parser directives (`# syntax=...`, `# escape=...`) at the top; returns the first line after.
    std::size_t directives() {
        std::size_t li = 0;
        for (; li < m_lines.size(); ++li) {
            std::string_view l = line(li);
            std::size_t i = 0;
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) {
                ++i;
            }
            if (i == l.size() || l[i] != '#') {
                break;
            }
            ++i;
            while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) {
                ++i;
            }
            std::size_t k = i;
            while (k < l.size() && std::isalpha(static_cast<unsigned char>(l[k])) != 0) {
                ++k;
            }
            std::string key = lower(l.substr(i, k - i));
            while (k < l.size() && (l[k] == ' ' || l[k] == '\t')) {
                ++k;
            }
            if (key.empty() || k == l.size() || l[k] != '=') {
                break; // a comment: directives end here
            }
            ++k;
            while (k < l.size() && (l[k] == ' ' || l[k] == '\t')) {
                ++k;
            }
            std::size_t e = l.size();
            while (e > k && is_space(l[e - 1])) {
                --e;
            }
            std::string_view value = l.substr(k, e - k);
            if (key == "syntax") {
                use(value, m_lines[li].first + k, true);
            } else if (key == "escape" && (value == "`" || value == "\\")) {
                m_escape = value[0];
            }
        }
        return li;
    }

    void use(std::string_view ref, std::size_t offset, bool frontend = false) {
        if (ref.empty()) {
            return;
        }
        if (ref.find('$') != std::string_view::npos) {
            m_scan.unlockable.emplace_back(ref);
            return;
        }
        std::string l = lower(ref);
        if (l == "scratch" || ref.find('@') != std::string_view::npos ||
            std::find(m_stages.begin(), m_stages.end(), l) != m_stages.end() ||
            std::all_of(ref.begin(), ref.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
            return; // a stage (by name or index), nothing, or pinned already
        }
        m_scan.uses.push_back({std::string(ref), offset, frontend});
    }

    // One instruction; returns the line after it (and after its heredocs).
    std::size_t instruction(const Logical& l, std::size_t next) {
        std::vector<Token> toks = tokens(l.text);
        if (toks.empty()) {
            return next;
        }
        std::string word = lower(toks[0].text);
        if (word == "from") {
            std::size_t i = 1;
            while (i < toks.size() && toks[i].text.substr(0, 2) == "--") {
                ++i;
            }
            if (i < toks.size()) {
                use(toks[i].text, l.file_offset(toks[i].at));
                if (i + 2 < toks.size() && lower(toks[i + 1].text) == "as") {
                    m_stages.push_back(lower(toks[i + 2].text));
                }
            }
            return next;
        }
        if (word != "run" && word != "copy" && word != "add") {
            return next;
        }
        std::size_t i = 1;
        for (; i < toks.size() && toks[i].text.substr(0, 2) == "--"; ++i) {
            std::string_view t = toks[i].text;
            if (word == "copy" && t.substr(0, 7) == "--from=") {
                use(t.substr(7), l.file_offset(toks[i].at + 7));
            } else if (word == "run" && t.substr(0, 8) == "--mount=") {
                std::size_t from = 8;
                while (from <= t.size()) {
                    std::size_t comma = std::min(t.find(',', from), t.size());
                    std::string_view field = t.substr(from, comma - from);
                    if (field.substr(0, 5) == "from=") {
                        use(field.substr(5), l.file_offset(toks[i].at + from + 5));
                    }
                    from = comma + 1;
                }
            }
        }
        // Heredocs (`RUN <<EOF`, `COPY <<EOF /dst`): their lines are not instructions. Not in the
        // exec form, which is JSON.
        if (i < toks.size() && toks[i].text.substr(0, 1) == "[") {
            return next;
        }
        for (const std::string& w : heredoc_words(l.text)) {
            bool dash = w[0] == '-';
            std::string_view end = std::string_view(w).substr(1);
            while (next < m_lines.size()) {
                std::string_view cur = line(next++);
                if (!cur.empty() && cur.back() == '\r') {
                    cur.remove_suffix(1);
                }
                if (dash) {
                    cur.remove_prefix(std::min(cur.find_first_not_of('\t'), cur.size()));
                }
                if (cur == end) {
                    break;
                }
            }
        }
        return next;
    }

    // "-WORD" for <<-WORD, " WORD" for <<WORD, <<"WORD" and <<'WORD', in order.
    static std::vector<std::string> heredoc_words(const std::string& text) {
        std::vector<std::string> out;
        for (std::size_t at = text.find("<<"); at != std::string::npos;
             at = text.find("<<", at + 2)) {
            std::size_t i = at + 2;
            bool dash = i < text.size() && text[i] == '-';
            if (dash) {
                ++i;
            }
            char quote = i < text.size() && (text[i] == '"' || text[i] == '\'') ? text[i] : 0;
            if (quote != 0) {
                ++i;
            }
            std::size_t k = i;
            while (k < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[k])) != 0 || text[k] == '_')) {
                ++k;
            }
            if (k > i && (quote == 0 || (k < text.size() && text[k] == quote))) {
                out.push_back((dash ? "-" : " ") + text.substr(i, k - i));
            }
        }
        return out;
    }

    std::string_view m_text;
    std::vector<std::pair<std::size_t, std::size_t>> m_lines; // [begin, end) without the '\n'
    char m_escape = '\\';
    std::vector<std::string> m_stages; // lower case
    ImageScan m_scan;
};

} // namespace

ImageScan scan_images(std::string_view dockerfile) {
    return Scanner(dockerfile).run();
}

std::string pin_images(std::string dockerfile, const std::vector<ImageUse>& uses,
                       const Lock& lock) {
    std::vector<const ImageUse*> order;
    for (const auto& u : uses) {
        order.push_back(&u);
    }
    // From the end, so earlier offsets stay valid.
    std::sort(order.begin(), order.end(),
              [](const ImageUse* a, const ImageUse* b) { return a->offset > b->offset; });
    for (const ImageUse* u : order) {
        const LockedImage* l = lock.find(u->reference);
        if (l == nullptr || dockerfile.compare(u->offset, u->reference.size(), u->reference) != 0) {
            continue;
        }
        dockerfile.insert(u->offset + u->reference.size(), "@" + l->digest);
    }
    return dockerfile;
}

std::string pinned(const std::string& reference, const Lock& lock) {
    const LockedImage* l = lock.find(reference);
    return l == nullptr ? reference : reference + "@" + l->digest;
}

} // namespace imgspec::lock
