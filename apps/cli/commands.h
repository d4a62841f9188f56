// Each subcommand of the `tessera` CLI lives in its own cmd_*.cpp and registers itself here.
#pragma once

#include <CLI/CLI.hpp>

namespace tessera::cli {

void add_info_command(CLI::App& app);           // cmd_info.cpp
void add_encode_command(CLI::App& app);         // cmd_encode.cpp
void add_mel_command(CLI::App& app);            // cmd_mel.cpp
void add_bench_encoder_command(CLI::App& app);  // cmd_bench_encoder.cpp
void add_bench_decoder_command(CLI::App& app);  // cmd_bench_decoder.cpp
void add_transcribe_command(CLI::App& app);     // cmd_transcribe.cpp

}  // namespace tessera::cli
