// Listing a folder tree on several threads into Findings, visited in byte order of their paths
// (walk.hpp's FolderWalk).

#include <imgspec/plan/walk.hpp>

#include "walk_support.hpp"

#include <imgspec/core/error.hpp>
#include <imgspec/util/open_nofollow.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgspec::plan {

namespace {

using detail::throw_changed;

// A hard link to a secret's file has the secret's bytes under another name.
bool is_secret_by_identity(const WalkOptions& o, int dir_fd, const dirent* de) {
    if (o.secret_ids.empty() || de->d_type == DT_DIR) {
        return false;
    }
    bool maybe = std::any_of(o.secret_ids.begin(), o.secret_ids.end(),
                             [&](const auto& id) { return id.second == de->d_ino; });
    struct stat st {};
    if (!maybe || ::fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
        return false;
    }
    return std::any_of(o.secret_ids.begin(), o.secret_ids.end(), [&](const auto& id) {
        return id.first == static_cast<std::uint64_t>(st.st_dev) &&
               id.second == static_cast<std::uint64_t>(st.st_ino);
    });
}

// a + "/" + b with one allocation.
std::string slash_join(std::string_view a, std::string_view b) {
    std::string s;
    s.reserve(a.size() + 1 + b.size());
    s.append(a).append(1, '/').append(b);
    return s;
}

// Where readdir failed is not known: the message goes after what was listed.
void note_unreadable(WalkedFolder& f, int err) {
    f.found.push_back(Finding::note(
        Finding::error, f.found.empty() ? "" : "\xff",
        fmt::format("cannot read folder '{}': {}", f.rel, std::generic_category().message(err))));
}

bool is_folder(int fd, const dirent* de) {
    if (de->d_type != DT_UNKNOWN) {
        return de->d_type == DT_DIR;
    }
    struct stat st {};
    return ::fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// A regular file listed but not stat'ed (WalkOptions::defer_file_stat): mode 0.
Finding unstated_file(std::string_view name, std::string ctx, std::string abs, bool cache_keys) {
    Finding x;
    x.name_size = static_cast<std::uint8_t>(name.size()); // NAME_MAX is 255
    x.path = std::move(ctx);
    x.text = std::move(abs);
    if (cache_keys) { // a first run: the key orders the records it makes
        x.key = StatCache::key_of(x.text);
    }
    return x;
}

// The entry found under `de` in the open folder `fd`, stat'ed; what cannot be copied (a FIFO, a
// file that cannot be read) as a Finding::error.
Finding stat_finding(int fd, const dirent* de, bool is_dir, std::string abs, std::string ctx,
                     bool cache_keys) {
    std::string_view name = de->d_name;
    Finding x;
    x.name_size = static_cast<std::uint8_t>(name.size()); // NAME_MAX is 255
    bool replaced = false;
    try {
        Entry e = stat_entry_at(fd, de->d_name, std::move(abs), std::move(ctx), &x.st);
        // readdir and the stat disagree: it was replaced between them (a folder by a symlink,
        // say). Neither view is one state of the folder.
        replaced =
            is_dir != (e.type == EntryType::directory) ||
            (de->d_type != DT_UNKNOWN && (de->d_type == DT_LNK) != (e.type == EntryType::symlink));
        if (e.type == EntryType::file && cache_keys) {
            x.key = StatCache::key_of(e.source);
        }
        x.path = std::move(e.path);
        x.text = std::move(e.source);
        x.link_target = std::move(e.link_target);
        x.st.size = e.size;
        x.mode = e.mode;
        x.type = e.type;
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::invalid_spec) {
            throw; // changed while listed: the run fails as a whole (exit 1)
        }
        x = Finding::note(Finding::error, std::string(name), e.what());
    }
    if (replaced) {
        throw_changed(x.text, "it was replaced while its folder was listed");
    }
    return x;
}

void add_subfolder(WalkedFolder& f, std::vector<std::unique_ptr<WalkedFolder>>& kids,
                   std::string abs, std::string rel, std::string ctx, std::size_t name_size) {
    kids.push_back(std::make_unique<WalkedFolder>(
        WalkedFolder{std::move(abs), std::move(rel), std::move(ctx), {}, {}}));
    Finding sub;
    sub.kind = Finding::subfolder;
    sub.name_size = static_cast<std::uint8_t>(name_size);
    sub.folder = kids.back().get();
    f.found.push_back(std::move(sub));
}

// One name that readdir gave in the folder `f` (open as `fd`): a finding, or nothing when it is
// excluded (a folder that rules may include below is walked all the same).
void list_name(WalkedFolder& f, const WalkOptions& o, int fd, const dirent* de,
               std::vector<std::unique_ptr<WalkedFolder>>& kids) {
    std::string_view name = de->d_name;
    if (name == "." || name == "..") {
        return;
    }
    const bool is_dir = is_folder(fd, de);
    // The spec-relative path, only where it is used: no string per file without rules.
    std::string rel;
    auto rel_path = [&]() -> std::string& {
        if (rel.empty()) {
            rel = f.rel.empty() ? std::string(name) : slash_join(f.rel, name);
        }
        return rel;
    };
    const bool rules = o.ignore != nullptr && !o.ignore->patterns().empty();
    bool excluded = rules && o.ignore->excluded(rel_path());
    if (excluded && !(is_dir && o.ignore->may_include_below(rel_path()))) {
        return;
    }
    std::string abs = slash_join(f.abs, name);
    if ((o.is_secret && o.is_secret(abs)) || is_secret_by_identity(o, fd, de)) {
        f.found.push_back(Finding::note(Finding::secret, std::string(name), std::move(rel_path())));
        return;
    }
    std::string ctx = slash_join(f.ctx, name);
    if (!excluded) {
        if (o.defer_file_stat && de->d_type == DT_REG) {
            f.found.push_back(unstated_file(name, std::move(ctx), std::move(abs), o.cache_keys));
            return;
        }
        // A folder's paths are needed again below; a file's are moved.
        f.found.push_back(
            is_dir ? stat_finding(fd, de, true, abs, ctx, o.cache_keys)
                   : stat_finding(fd, de, false, std::move(abs), std::move(ctx), o.cache_keys));
    }
    if (is_dir) {
        add_subfolder(f, kids, std::move(abs), std::move(rel_path()), std::move(ctx), name.size());
    }
}

// Lists the folder `f` into f.found, in readdir order, and stats its entries relative to the open
// folder (fstatat: no path lookup from the root per file). Subfolders to walk are appended to
// `kids`. Paths are built as strings from the folder's own path: std::filesystem::path
// arithmetic per file cost more than the rest of the walk.
void list_folder(WalkedFolder& f, const WalkOptions& o,
                 std::vector<std::unique_ptr<WalkedFolder>>& kids) {
    // No symlink followed at any component: the path was canonical when planned, so a symlink
    // in it now was swapped in while imgspec ran, and following it would read outside the folder.
    int fd = util::open_nofollow(AT_FDCWD, f.abs.c_str(), O_RDONLY | O_DIRECTORY);
    DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
    if (d == nullptr) {
        int err = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        if (err == ELOOP) {
            throw_changed(f.abs, "a folder in its path is now a symlink");
        }
        return note_unreadable(f, err);
    }
    // Closed on every way out: a file replaced during the listing throws.
    const std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
    for (;;) {
        errno = 0;
        const dirent* de = ::readdir(d);
        if (de == nullptr) {
            if (errno != 0) {
                note_unreadable(f, errno);
            }
            break;
        }
        list_name(f, o, fd, de, kids);
    }
}

// Whether (a, a_slash) sorts before (b, b_slash), a name with `slash` standing for name + "/",
// in byte order.
bool sorts_before(std::string_view a, bool a_slash, std::string_view b, bool b_slash) {
    const std::size_t n = std::min(a.size(), b.size());
    if (int c = std::string_view(a.data(), n).compare(std::string_view(b.data(), n)); c != 0) {
        return c < 0;
    }
    if (a.size() == b.size()) {
        return !a_slash && b_slash; // "x" < "x/"
    }
    if (a.size() < b.size()) {
        return !a_slash || static_cast<unsigned char>('/') < static_cast<unsigned char>(b[n]);
    }
    return b_slash && static_cast<unsigned char>(a[n]) < static_cast<unsigned char>('/');
}

// list_folder, then the findings' order by name (on the walking thread: the sort of the whole
// manifest that this spares was 8 % of a run that found every digest in the stat cache).
void scan_folder(WalkedFolder& f, const WalkOptions& o,
                 std::vector<std::unique_ptr<WalkedFolder>>& kids) {
    list_folder(f, o, kids);
    f.order.resize(f.found.size());
    std::iota(f.order.begin(), f.order.end(), 0u);
    std::sort(f.order.begin(), f.order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const Finding& x = f.found[a];
        const Finding& y = f.found[b];
        return sorts_before(x.name(), x.slash(), y.name(), y.slash());
    });
}

} // namespace

std::string_view Finding::name() const {
    std::string_view p = kind == subfolder ? std::string_view(folder->ctx) : std::string_view(path);
    return p.substr(p.size() - name_size);
}

Entry Finding::take_entry() {
    Entry e;
    e.path = std::move(path);
    e.type = type;
    e.mode = mode;
    e.size = type == EntryType::file ? st.size : 0;
    e.link_target = std::move(link_target);
    e.source = std::move(text);
    return e;
}

Finding Finding::note(Kind kind, std::string name, std::string text) {
    Finding x;
    x.kind = kind;
    x.name_size = static_cast<std::uint8_t>(name.size());
    x.path = std::move(name);
    x.text = std::move(text);
    return x;
}

FolderWalk::FolderWalk(std::string abs, std::string rel, std::string ctx)
    : m_root{std::move(abs), std::move(rel), std::move(ctx), {}, {}} {}

void FolderWalk::run(const WalkOptions& options) {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<WalkedFolder*> todo{&m_root};
    std::size_t busy = 0;
    std::exception_ptr failure;
    auto work = [&] {
        std::vector<std::unique_ptr<WalkedFolder>> kids;
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return !todo.empty() || busy == 0 || failure; });
            if (failure || todo.empty()) {
                return; // failed, or nothing left to hand out and nobody who could add more
            }
            WalkedFolder* f = todo.back();
            todo.pop_back();
            ++busy;
            lock.unlock();
            std::exception_ptr thrown;
            try {
                scan_folder(*f, options, kids);
            } catch (...) {
                thrown = std::current_exception();
            }
            lock.lock();
            --busy;
            if (thrown && !failure) {
                failure = thrown;
            }
            for (auto& k : kids) {
                todo.push_back(k.get());
                m_folders.push_back(std::move(k));
            }
            kids.clear();
            changed.notify_all();
        }
    };
    auto meanwhile = [&] {
        try {
            options.meanwhile();
        } catch (...) {
            std::lock_guard lock(mutex);
            failure = std::current_exception();
            changed.notify_all();
        }
    };
    detail::on_threads(options.threads, work,
                       options.meanwhile ? std::function<void()>(meanwhile) : nullptr);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

void FolderWalk::visit(const std::function<void(Finding&, const WalkedFolder&)>& visitor) {
    struct Visit {
        WalkedFolder* folder;
        std::size_t next = 0;
    };
    std::vector<Visit> stack{{&m_root}};
    while (!stack.empty()) {
        WalkedFolder* cur = stack.back().folder;
        if (stack.back().next == cur->order.size()) {
            std::vector<Finding>().swap(cur->found); // visited: give the memory back now
            stack.pop_back();
            continue;
        }
        Finding& x = cur->found[cur->order[stack.back().next++]];
        if (x.kind == Finding::subfolder) {
            stack.push_back(Visit{x.folder});
        } else {
            visitor(x, *cur);
        }
    }
}

std::size_t FolderWalk::size() const {
    std::size_t n = m_root.found.size();
    for (const auto& f : m_folders) {
        n += f->found.size();
    }
    return n;
}

} // namespace imgspec::plan
