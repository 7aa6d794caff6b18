#!/bin/sh
echo "hello from run.sh in $(pwd)"
