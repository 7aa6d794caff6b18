// The floor under a warm `imgspec uri`: what the kernel alone takes to list a tree and stat every
// entry in it (readdir + fstatat, as the stat cache needs), with nothing else done. bench/run.sh
// times it beside imgspec for item 3.
//
//   stat_floor DIR [THREADS]   (default 2 threads; the top-level folders are shared out in turn)
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
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            ++n;
            if (S_ISDIR(st.st_mode)) {
                int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                    n += walk(fd);
                }
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
