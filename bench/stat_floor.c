// The floor under a warm `imgspec uri`: what the kernel alone takes to list a tree and stat every
// entry in it (readdir + fstatat, as the stat cache needs), with nothing else done. With "read",
// the floor under a cold one: every regular file also opened, fstat'ed, read whole and closed
// (no hashing). bench/run.sh times both beside imgspec for items 2 and 3.
//
//   stat_floor DIR [THREADS [read]]   (default 2 threads; the top-level folders are shared out)
//
// Prints the number of entries stat'ed. Build: cc -O2 -pthread -o stat_floor stat_floor.c

#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct job {
    int root;          // descriptor of DIR
    char** names;      // its entries
    int count;
    int first, step;   // this thread's share: names[first], names[first + step], ...
    long stated;
};

static int read_files; // "read": open, fstat, read and close every regular file too

static void read_file(int dirfd, const char* name) {
    static __thread char buf[1 << 20];
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        off_t left = st.st_size;
        while (left > 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            left -= n;
        }
    }
    close(fd);
}

static long walk(int dirfd) {
    long n = 0;
    DIR* d = fdopendir(dirfd);
    if (d == NULL) {
        close(dirfd);
        return 0;
    }
    struct dirent* de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (read_files && de->d_type == DT_REG) { // its fstat after the open is its stat
            read_file(dirfd, de->d_name);
            ++n;
            continue;
        }
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            ++n;
            if (S_ISDIR(st.st_mode)) {
                int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                    n += walk(fd);
                }
            } else if (read_files && S_ISREG(st.st_mode)) {
                read_file(dirfd, de->d_name);
            }
        }
    }
    closedir(d);
    return n;
}

static void* run(void* arg) {
    struct job* j = arg;
    for (int i = j->first; i < j->count; i += j->step) {
        struct stat st;
        if (fstatat(j->root, j->names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        ++j->stated;
        if (S_ISDIR(st.st_mode)) {
            int fd = openat(j->root, j->names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                j->stated += walk(fd);
            }
        } else if (read_files && S_ISREG(st.st_mode)) {
            read_file(j->root, j->names[i]);
        }
    }
    return NULL;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: stat_floor DIR [THREADS]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    read_files = argc > 3 && strcmp(argv[3], "read") == 0;
    if (threads < 1 || threads > 64) {
        threads = 1;
    }
    int root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = root < 0 ? NULL : fdopendir(dup(root));
    if (d == NULL) {
        perror(argv[1]);
        return 1;
    }
    char** names = NULL;
    int count = 0, cap = 0;
    struct dirent* de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, (size_t)cap * sizeof *names);
        }
        names[count++] = strdup(de->d_name);
    }
    closedir(d);
    pthread_t tid[64];
    struct job jobs[64];
    for (int t = 0; t < threads; ++t) {
        jobs[t] = (struct job){root, names, count, t, threads, 0};
        pthread_create(&tid[t], NULL, run, &jobs[t]);
    }
    long total = 0;
    for (int t = 0; t < threads; ++t) {
        pthread_join(tid[t], NULL);
        total += jobs[t].stated;
    }
    printf("%ld\n", total);
    return 0;
}
