#include "cli_docs.hpp"

#include <imgspec/config/load_config.hpp>
#include <imgspec/spec/platform.hpp>
#include <imgspec/spec/schema.hpp>
#include <imgspec/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace imgspec::app {

namespace {

// Options whose values are a fixed set, by long name.
std::vector<std::string> values_of(const std::string& long_name) {
    if (long_name == "--progress") {
        return {"auto", "plain", "tty", "quiet", "rawjson"};
    }
    if (long_name == "--platform") {
        return spec::known_platforms();
    }
    if (long_name == "--format") {
        return {"yaml", "toml"};
    }
    return {};
}

OptionDoc option_doc(const CLI::Option& o) {
    OptionDoc d;
    d.description = o.get_description();
    if (o.nonpositional()) {
        for (const auto& s : o.get_snames()) {
            d.names.push_back("-" + s);
        }
        for (const auto& l : o.get_lnames()) {
            d.names.push_back("--" + l);
        }
    } else {
        d.positional = true;
        d.names.push_back(o.get_name(true));
    }
    if (o.get_items_expected_max() != 0) { // flags expect no value
        std::string type = o.get_type_name();
        type = type.substr(0, type.find(':'));
        d.value = type.empty() || type == "TEXT" ? "VALUE" : type;
    }
    d.many = o.get_expected_max() > 1;
    if (d.positional && d.names.front() == "SPEC") {
        d.complete = "spec";
    } else if (d.value == "DIR" || (d.positional && d.names.front() == "DIR")) {
        d.complete = "dir";
    } else if (util::starts_with(d.value, "FILE") || d.value == "DEST") {
        d.complete = "file";
    }
    if (!d.names.empty() && !d.positional) {
        d.values = values_of(d.names.back());
    }
    return d;
}

std::vector<OptionDoc> options_of(const CLI::App& app) {
    std::vector<OptionDoc> out;
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_group().empty()) {
            continue; // hidden
        }
        out.push_back(option_doc(*o));
    }
    return out;
}

std::string one_line(std::string s) {
    for (auto& c : s) {
        if (c == '\n' || c == '\t') {
            c = ' ';
        }
    }
    return s;
}

std::string join_words(const std::vector<std::string>& words) {
    return util::join(words, " ");
}

// Every name of the options that take a value, for `case` patterns: "--config|--ref".
std::string value_option_pattern(const std::vector<OptionDoc>& options) {
    std::vector<std::string> names;
    for (const auto& o : options) {
        if (!o.positional && !o.value.empty()) {
            names.insert(names.end(), o.names.begin(), o.names.end());
        }
    }
    return util::join(names, "|");
}

std::vector<std::string> option_words(const std::vector<OptionDoc>& options) {
    std::vector<std::string> words;
    for (const auto& o : options) {
        if (!o.positional) {
            words.insert(words.end(), o.names.begin(), o.names.end());
        }
    }
    return words;
}

// A command's own options, then the global ones, which may follow the command too.
std::vector<OptionDoc> with_global(const CommandDoc& c, const CliDoc& cli) {
    std::vector<OptionDoc> all = c.options;
    all.insert(all.end(), cli.global.begin(), cli.global.end());
    return all;
}

// What the command's positionals complete: "spec", "dir" or "" (nothing).
std::string positional_kind(const CommandDoc& c) {
    for (const auto& o : c.options) {
        if (o.positional && !o.complete.empty()) {
            return o.complete;
        }
    }
    return "";
}

// ---- bash ------------------------------------------------------------------------------------

// The `case $prev` arms for an option list: value completions, then "no completion" for other
// options that take a value.
void bash_value_arms(std::ostringstream& out, const std::vector<OptionDoc>& options,
                     const std::string& indent) {
    std::vector<std::string> free_values;
    for (const auto& o : options) {
        if (o.positional || o.value.empty()) {
            continue;
        }
        const std::string pattern = util::join(o.names, "|");
        if (!o.values.empty()) {
            out << indent << pattern << ") _imgspec_words \"" << join_words(o.values)
                << "\" \"$cur\"; return ;;\n";
        } else if (o.complete == "file" || o.complete == "dir") {
            out << indent << pattern << ") _imgspec_" << o.complete << "s \"$cur\"; return ;;\n";
        } else {
            free_values.insert(free_values.end(), o.names.begin(), o.names.end());
        }
    }
    if (!free_values.empty()) {
        out << indent << util::join(free_values, "|") << ") COMPREPLY=(); return ;;\n";
    }
}

} // namespace

CliDoc describe_cli(const CLI::App& app) {
    CliDoc cli;
    cli.name = app.get_name();
    cli.description = app.get_description();
    // "imgspec: build ..." -> "build ..."
    if (util::starts_with(cli.description, cli.name + ": ")) {
        cli.description = cli.description.substr(cli.name.size() + 2);
    }
    while (!cli.description.empty() &&
           (cli.description.back() == '\n' || cli.description.back() == '.')) {
        cli.description.pop_back();
    }
    cli.version = IMGSPEC_VERSION;
    cli.global = options_of(app);
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_group().empty()) {
            continue; // hidden
        }
        CommandDoc c;
        c.name = sub->get_name();
        c.description = sub->get_description();
        c.footer = sub->get_footer();
        c.options = options_of(*sub);
        cli.commands.push_back(std::move(c));
    }
    return cli;
}

std::string bash_completion(const CliDoc& cli) {
    std::ostringstream out;
    std::vector<std::string> names;
    for (const auto& c : cli.commands) {
        names.push_back(c.name);
    }
    out << "# bash completion for " << cli.name << " " << cli.version << ": generated by `"
        << cli.name << " __complete-script bash`; do not edit.\n"
        << "# Installed as share/bash-completion/completions/" << cli.name
        << "; to try it: source <(" << cli.name << " __complete-script bash)\n\n"
        << "# _imgspec_words WORDS CUR: the words that start with CUR.\n"
        << "_imgspec_words() {\n"
        << "    mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$2\")\n"
        << "}\n\n"
        << "# _imgspec_files CUR: files and folders.\n"
        << "_imgspec_files() {\n"
        << "    mapfile -t COMPREPLY < <(compgen -f -- \"$1\")\n"
        << "}\n\n"
        << "# _imgspec_dirs CUR: folders.\n"
        << "_imgspec_dirs() {\n"
        << "    mapfile -t COMPREPLY < <(compgen -d -- \"$1\")\n"
        << "}\n\n"
        << "# _imgspec_specs CUR: spec files (.yaml, .yml, .toml) and folders.\n"
        << "_imgspec_specs() {\n"
        << "    local f\n"
        << "    COMPREPLY=()\n"
        << "    while IFS= read -r f; do\n"
        << "        if [[ -d $f || $f == *.yaml || $f == *.yml || $f == *.toml ]]; then\n"
        << "            COMPREPLY+=(\"$f\")\n"
        << "        fi\n"
        << "    done < <(compgen -f -- \"$1\")\n"
        << "}\n\n"
        << "_imgspec() {\n"
        << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=\"\" cmd=\"\" i\n"
        << "    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
        << "    # The command: the first word that is neither an option nor an option's value.\n"
        << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        << "        case ${COMP_WORDS[i]} in\n";
    if (auto pattern = value_option_pattern(cli.global); !pattern.empty()) {
        out << "            " << pattern << ") ((i++)) ;;\n";
    }
    out << "            -*) ;;\n"
        << "            *) cmd=${COMP_WORDS[i]}; break ;;\n"
        << "        esac\n"
        << "    done\n"
        << "    if [[ -z $cmd ]]; then\n"
        << "        case $prev in\n";
    bash_value_arms(out, cli.global, "            ");
    out << "        esac\n"
        << "        if [[ $cur == -* ]]; then\n"
        << "            _imgspec_words \"" << join_words(option_words(cli.global))
        << "\" \"$cur\"\n"
        << "        else\n"
        << "            _imgspec_words \"" << join_words(names) << "\" \"$cur\"\n"
        << "        fi\n"
        << "        return\n"
        << "    fi\n"
        << "    case $cmd in\n";
    for (const auto& c : cli.commands) {
        const std::vector<OptionDoc> options = with_global(c, cli);
        out << "        " << c.name << ")\n"
            << "            case $prev in\n";
        bash_value_arms(out, options, "                ");
        out << "            esac\n"
            << "            if [[ $cur == -* ]]; then\n"
            << "                _imgspec_words \"" << join_words(option_words(options))
            << "\" \"$cur\"\n";
        if (const std::string kind = positional_kind(c); !kind.empty()) {
            out << "            else\n"
                << "                _imgspec_" << kind << "s \"$cur\"\n";
        } else {
            out << "            else\n"
                << "                COMPREPLY=()\n";
        }
        out << "            fi\n"
            << "            ;;\n";
    }
    out << "        *) COMPREPLY=() ;;\n"
        << "    esac\n"
        << "}\n\n"
        << "complete -o filenames -F _imgspec " << cli.name << "\n";
    return out.str();
}

// ---- zsh -------------------------------------------------------------------------------------

namespace {

// Text inside a single-quoted zsh word: a description in [...] of an _arguments spec or after the
// name in a _describe list (`colons` false), or a message field between colons (`colons` true).
std::string zsh_text(const std::string& s, bool colons = false) {
    std::string out;
    for (char c : one_line(s)) {
        if (c == '\'') {
            out += "'\\''";
        } else if (c == '[' || c == ']' || c == '\\' || (colons && c == ':')) {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

std::string zsh_action(const OptionDoc& o) {
    if (!o.values.empty()) {
        return "(" + join_words(o.values) + ")";
    }
    if (o.complete == "spec") {
        return "_files -g \"*.(yaml|yml|toml)\"";
    }
    if (o.complete == "file") {
        return "_files";
    }
    if (o.complete == "dir") {
        return "_directories";
    }
    return " ";
}

void zsh_specs(std::ostringstream& out, const std::vector<OptionDoc>& options,
               const std::string& indent) {
    for (const auto& o : options) {
        std::string spec;
        if (o.positional) {
            spec = fmt::format("'{}:{}:{}'", o.many ? "*" : "1", zsh_text(o.names.front(), true),
                               zsh_action(o));
        } else {
            std::string exclusive = o.many ? "*" : "(" + join_words(o.names) + ")";
            std::string names =
                o.names.size() == 1 ? o.names.front() : "{" + util::join(o.names, ",") + "}";
            spec = fmt::format("'{}'{}'[{}]", exclusive, names, zsh_text(o.description));
            if (!o.value.empty()) {
                spec += fmt::format(":{}:{}", zsh_text(o.value, true), zsh_action(o));
            }
            spec += "'";
        }
        out << indent << spec << " \\\n";
    }
}

// Text inside a single-quoted fish word.
std::string fish_text(const std::string& s) {
    std::string out;
    for (char c : one_line(s)) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

void fish_options(std::ostringstream& out, const std::string& name, const std::string& condition,
                  const std::vector<OptionDoc>& options) {
    for (const auto& o : options) {
        if (o.positional) {
            if (o.complete == "spec") {
                // Folders and spec files only (__fish_complete_suffix also offers other files).
                out << fmt::format(
                    "complete -c {} -n '{}' -a '(__fish_complete_path (commandline -ct) | "
                    "string match -r -- \"^.*(?:/|\\\\.ya?ml|\\\\.toml)(?:\\t.*)?\\$\")'\n",
                    name, condition);
            } else if (o.complete == "dir") {
                out << fmt::format("complete -c {} -n '{}' -a '(__fish_complete_directories)'\n",
                                   name, condition);
            }
            continue;
        }
        std::string line = condition.empty()
                               ? fmt::format("complete -c {}", name)
                               : fmt::format("complete -c {} -n '{}'", name, condition);
        for (const auto& n : o.names) {
            line += util::starts_with(n, "--") ? " -l " + n.substr(2) : " -s " + n.substr(1);
        }
        if (!o.values.empty()) {
            line += " -x -a '" + join_words(o.values) + "'";
        } else if (o.complete == "file") {
            line += " -r -F";
        } else if (o.complete == "dir") {
            line += " -x -a '(__fish_complete_directories)'";
        } else if (!o.value.empty()) {
            line += " -x";
        }
        line += " -d '" + fish_text(o.description) + "'";
        out << line << "\n";
    }
}

// ---- man -------------------------------------------------------------------------------------

// Text for a roff line: backslashes escaped, no leading '.' or '\''.
std::string roff(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\') {
            out += "\\e";
        } else {
            out += c;
        }
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) {
        out = "\\&" + out;
    }
    return out;
}

std::string roff_option(const std::string& name) {
    std::string out;
    for (char c : name) {
        out += c == '-' ? std::string("\\-") : std::string(1, c);
    }
    return out;
}

void man_options(std::ostringstream& out, const std::vector<OptionDoc>& options) {
    for (const auto& o : options) {
        if (o.positional) {
            continue;
        }
        out << ".TP\n";
        std::vector<std::string> names;
        for (const auto& n : o.names) {
            names.push_back("\\fB" + roff_option(n) + "\\fR");
        }
        out << util::join(names, ", ");
        if (!o.value.empty()) {
            out << " \\fI" << roff(o.value) << "\\fR";
        }
        out << "\n" << roff(one_line(o.description)) << "\n";
        if (!o.values.empty()) {
            out << "One of: " << roff(util::join(o.values, ", ")) << ".\n";
        }
    }
}

// A footer ("Examples:\n  imgspec ...") as an indented, unfilled block.
void man_preformatted(std::ostringstream& out, const std::string& text) {
    out << ".PP\n.nf\n";
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out << (line.empty() ? "" : roff(line)) << "\n";
    }
    out << ".fi\n";
}

// A JSON value as YAML flow text, as a spec would write it: {src: app, dst: /app}.
std::string flow(const nlohmann::ordered_json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        const bool plain = !s.empty() &&
                           s.find_first_of(":{}[],#&*!|>'\"%@`") == std::string::npos &&
                           s.front() != ' ' && s.back() != ' ' && s != "true" && s != "false" &&
                           s.find_first_not_of("0123456789.") != std::string::npos;
        return plain ? s : j.dump();
    }
    std::vector<std::string> parts;
    if (j.is_array()) {
        for (const auto& v : j) {
            parts.push_back(flow(v));
        }
        return "[" + util::join(parts, ", ") + "]";
    }
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            parts.push_back(k + ": " + flow(v));
        }
        return "{" + util::join(parts, ", ") + "}";
    }
    return j.dump();
}

std::string synopsis(const CommandDoc& c) {
    std::string s = "\\fBimgspec\\fR [\\fIGLOBAL OPTIONS\\fR] \\fB" + c.name + "\\fR";
    for (const auto& o : c.options) {
        if (o.positional) {
            s += " \\fI" + roff(o.names.front()) + "\\fR" + (o.many ? "..." : "");
        }
    }
    return s + " [\\fIOPTIONS\\fR]";
}

} // namespace

std::string zsh_completion(const CliDoc& cli) {
    std::ostringstream out;
    out << "#compdef " << cli.name << "\n"
        << "# zsh completion for " << cli.name << " " << cli.version << ": generated by `"
        << cli.name << " __complete-script zsh`; do not edit.\n"
        << "# Installed as share/zsh/site-functions/_" << cli.name << ".\n\n"
        << "_" << cli.name << "() {\n"
        << "    local curcontext=\"$curcontext\" state line\n"
        << "    typeset -A opt_args\n"
        << "    local -a commands\n"
        << "    commands=(\n";
    for (const auto& c : cli.commands) {
        out << "        '" << c.name << ":" << zsh_text(c.description) << "'\n";
    }
    out << "    )\n"
        << "    _arguments -C \\\n";
    zsh_specs(out, cli.global, "        ");
    out << "        '1:command:->command' \\\n"
        << "        '*::argument:->argument'\n"
        << "    case $state in\n"
        << "        command) _describe -t commands '" << cli.name << " command' commands ;;\n"
        << "        argument)\n"
        << "            case $line[1] in\n";
    for (const auto& c : cli.commands) {
        out << "                " << c.name << ")\n"
            << "                    _arguments \\\n";
        zsh_specs(out, with_global(c, cli), "                        ");
        out << "                        && return 0\n"
            << "                    ;;\n";
    }
    out << "            esac\n"
        << "            ;;\n"
        << "    esac\n"
        << "}\n\n"
        << "if [ \"$funcstack[1]\" = \"_" << cli.name << "\" ]; then\n"
        << "    _" << cli.name << " \"$@\"\n"
        << "else\n"
        << "    compdef _" << cli.name << " " << cli.name << "\n"
        << "fi\n";
    return out.str();
}

std::string fish_completion(const CliDoc& cli) {
    std::ostringstream out;
    std::vector<std::string> names;
    for (const auto& c : cli.commands) {
        names.push_back(c.name);
    }
    out << "# fish completion for " << cli.name << " " << cli.version << ": generated by `"
        << cli.name << " __complete-script fish`; do not edit.\n"
        << "# Installed as share/fish/vendor_completions.d/" << cli.name << ".fish.\n\n"
        << "complete -c " << cli.name << " -f\n";
    fish_options(out, cli.name, "", cli.global); // before or after the command
    for (const auto& c : cli.commands) {
        out << fmt::format("complete -c {} -n '__fish_use_subcommand' -a {} -d '{}'\n", cli.name,
                           c.name, fish_text(c.description));
    }
    for (const auto& c : cli.commands) {
        fish_options(out, cli.name, "__fish_seen_subcommand_from " + c.name, c.options);
    }
    return out.str();
}

std::string man_page(const CliDoc& cli) {
    std::ostringstream out;
    std::string upper;
    for (char c : cli.name) {
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    out << ".\\\" Generated by `" << cli.name << " __man`; do not edit.\n"
        << ".TH " << upper << " 1 \"\" \"" << cli.name << " " << cli.version
        << "\" \"User Commands\"\n"
        << ".SH NAME\n"
        << cli.name << " \\- " << roff(cli.description) << "\n"
        << ".SH SYNOPSIS\n";
    for (const auto& c : cli.commands) {
        out << synopsis(c) << "\n.br\n";
    }
    out << ".SH DESCRIPTION\n"
        << "\\fB" << cli.name
        << "\\fR turns a container image spec, a short YAML or TOML file in the "
        << "vocabulary of the Flyte 2 SDK's Image API, into a Dockerfile and a deterministic build "
        << "context, tags the image with a hash of its content, and builds it with docker buildx "
        << "for every platform the spec names, skipping images that already exist.\n"
        << ".PP\n"
        << "stdout carries only a command's output, so \\fBIMG=$(imgspec uri spec.yaml)\\fR works; "
        << "logs, warnings and errors go to stderr. Errors in a spec are reported like a "
           "compiler's: "
        << "\\fIfile\\fR:\\fIline\\fR:\\fIcolumn\\fR: error: \\fIkey.path\\fR: \\fImessage\\fR, "
           "every one at once; warnings (advice, the spec still builds) the same way with "
           "\\fBwarning:\\fR. "
        << "On a terminal, hashing and sending a large context show a progress line on stderr "
           "(not with \\fB-q\\fR or \\fB--json\\fR).\n"
        << ".PP\n"
        << "A \\fISPEC\\fR of \\fB\\-\\fR is read from standard input: its format is "
           "\\fB\\-\\-format\\fR (yaml, the default, or toml), its relative paths and its "
           "context are in \\fB\\-\\-context\\-dir\\fR (default: the current folder), and "
           "messages name it \\fI<stdin>\\fR.\n"
        << ".PP\n"
        << "\\fBbuild\\fR, \\fBuri\\fR, \\fBvalidate\\fR and \\fBrender\\fR (with "
           "\\fB\\-\\-json\\fR or \\fB\\-\\-buildx\\fR) take several \\fISPEC\\fRs; a "
           "\\fISPEC\\fR may be a folder (its \\fIimgspec.yaml\\fR or \\fIimgspec.toml\\fR when "
           "it has one, else every *.yaml, *.yml and *.toml file directly in it but "
           "\\fIpyproject.toml\\fR and hidden files) or a quoted glob pattern. The images and "
           "their \\fBfrom: spec\\fR parents form one graph keyed by URI: each image is checked "
           "and built once, after the images it starts from, up to \\fB\\-j\\fR at a time "
           "(default 4). A failure starts no new build (\\fB\\-\\-keep\\-going\\fR: only "
           "the images built on the failed one are left out); the exit code is the highest "
           "of the failed images'.\n"
        << ".PP\n"
        << "A spec with a top-level \\fBmatrix:\\fR gives one image per combination of its "
           "axes' values (see \\fBmatrix\\fR under SPEC KEYS), named "
           "\\fIname\\fR\\-\\fIvalue\\fR\\-...: \\fBuri\\fR prints a line per image, "
           "\\fBbuild\\fR puts every image into the graph, and "
           "\\fB\\-\\-matrix\\fR \\fIAXIS\\fR=\\fIVALUE\\fR (repeatable) picks some of "
           "them; \\fBrender \\-\\-dockerfile\\fR and \\fB\\-\\-context\\fR need it to pick "
           "one.\n"
        << ".SH GLOBAL OPTIONS\n"
        << "They go before or after the command: \\fBimgspec build spec.yaml \\-v\\fR is "
           "\\fBimgspec \\-v build spec.yaml\\fR.\n";
    man_options(out, cli.global);
    out << ".SH COMMANDS\n";
    for (const auto& c : cli.commands) {
        out << ".SS " << c.name << "\n"
            << synopsis(c) << "\n.PP\n"
            << roff(one_line(c.description)) << ".\n";
        man_options(out, c.options);
        if (!c.footer.empty()) {
            man_preformatted(out, c.footer);
        }
    }
    out << ".SH SPEC KEYS\n"
        << "Generated from the same table as \\fBimgspec schema\\fR (JSON Schema, draft 2020-12). "
        << "Relative paths are relative to the spec's folder, which is the build context.\n";
    for (const auto& k : spec::documented_keys()) {
        out << ".TP\n\\fB" << roff(k.path) << "\\fR\n" << roff(k.description) << "\n.br\nExamples:";
        const auto examples = nlohmann::ordered_json::parse(k.examples);
        for (std::size_t i = 0; i < examples.size(); ++i) {
            out << (i == 0 ? " " : "; ") << roff(flow(examples[i]));
        }
        out << "\n";
    }
    out << ".SH CONFIGURATION\n"
        << "The config file is \\fB\\-\\-config\\fR \\fIFILE\\fR, else \\fB$IMGSPEC_CONFIG\\fR, "
           "else "
        << "\\fI$XDG_CONFIG_HOME/imgspec/config.yaml\\fR (\\fI~/.config/imgspec/config.yaml\\fR): "
           "a YAML "
        << "map of ";
    {
        std::vector<std::string> settings = setting_names();
        settings.emplace_back("refs");
        out << roff(util::join(settings, ", "));
    }
    out << ". Each setting can also come from the environment, \\fBIMGSPEC_\\fR\\fINAME\\fR in "
           "upper "
        << "case (e.g. \\fBIMGSPEC_REGISTRY\\fR), which wins over the file; \\fB\\-\\-ref\\fR wins "
           "over "
        << "refs in the file. \\fBimgspec config\\fR shows every value and where it came from.\n"
        << ".SH ENVIRONMENT\n"
        << ".TP\n.B IMGSPEC_CONFIG\nThe config file, when \\fB\\-\\-config\\fR is not given.\n"
        << ".TP\n.B XDG_CONFIG_HOME\nFolder of the default config file (default "
           "\\fI~/.config\\fR).\n";
    for (const auto& name : setting_names()) {
        std::string var = "IMGSPEC_";
        for (char c : name) {
            var += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        out << ".TP\n.B " << var << "\nOverrides the config's \\fB" << roff(name) << "\\fR.\n";
    }
    out << ".TP\n.B NO_COLOR\nWhen set and not empty, log output has no colours.\n"
        << ".SH EXIT STATUS\n"
        << ".TP\n.B 0\nok\n"
        << ".TP\n.B 1\nother failure (I/O, a file changed during the build, ...); for "
           "\\fBoutdated\\fR: a locked image moved upstream\n"
        << ".TP\n.B 2\nusage: unknown command or flag, bad \\fB\\-\\-ref\\fR, "
           "\\fB\\-\\-format\\fR or \\fB\\-\\-context\\-dir\\fR without a spec on "
           "standard input\n"
        << ".TP\n.B 3\ninvalid spec, or a file it names is missing or of the wrong type, or a "
           "secret is missing, or its lock file is corrupt, from a newer imgspec, does not match "
           "the spec, or is missing with \\fBrequire_lock: true\\fR; specs given together that "
           "give one URI with "
           "different contents, or a cycle of images\n"
        << ".TP\n.B 4\nthe build itself failed (a RUN step, a missing base image)\n"
        << ".TP\n.B 5\ndocker, buildx or the registry unavailable\n"
        << ".TP\n.B 130\ninterrupted (SIGINT or SIGTERM)\n"
        << ".SH FILES\n"
        << ".TP\n.I $XDG_CONFIG_HOME/imgspec/config.yaml\nThe default config file.\n"
        << ".TP\n.I SPEC.lock\nThe lock file beside a spec (\\fIimage.yaml.lock\\fR), written by "
           "\\fBimgspec lock\\fR: the digest of every image the spec's Dockerfiles start from. "
           "With it the FROM lines name \\fIreference@sha256:...\\fR and the tag covers the "
           "digests.\n"
        << ".TP\n.I share/imgspec/imgspec.schema.json\nThe JSON Schema of a spec (also printed by "
        << "\\fBimgspec schema\\fR), for editors: \\fI# yaml-language-server: $schema=PATH\\fR as "
           "a "
        << "spec's first line.\n"
        << ".SH SEE ALSO\n"
        << "\\fBdocker-buildx-build\\fR(1)\n";
    return out.str();
}

} // namespace imgspec::app
