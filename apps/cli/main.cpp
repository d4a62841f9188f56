// tessera: Whisper speech recognition on CPU matrix units.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "tessera/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tessera: fast Whisper inference on CPU matrix units"};
  app.require_subcommand(1);
  tessera::cli::add_info_command(app);
  tessera::cli::add_encode_command(app);
  tessera::cli::add_mel_command(app);
  tessera::cli::add_bench_encoder_command(app);
  tessera::cli::add_bench_decoder_command(app);
  tessera::cli::add_transcribe_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tessera: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
