// Distributed runs (core/core.hpp, "Distributed runs"): a coordinator and workers over OpenMPI's C API.
#include "core/core.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#ifdef SUPERPOSE_MPI
#include <mpi.h>
#endif

namespace superpose {

namespace {

#ifdef SUPERPOSE_MPI
bool g_initialised = false;

bool started_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

// Message tags. Work and stop go coordinator -> worker; result and the two error kinds go back.
enum Tag : int { kWork = 1, kStop = 2, kResult = 3, kInputError = 4, kOtherError = 5 };

void send_text(const std::string& text, int to, int tag) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// Receives one message from anyone (any tag) and returns its text, source and tag. It polls with MPI_Iprobe and
// sleeps 1 ms between polls: OpenMPI's blocking MPI_Probe spins, and a coordinator spinning for the whole run would
// take a core from the workers (on a 2-core machine, half of it).
std::string receive_text(int* from, int* tag) {
  MPI_Status st;
  for (int flag = 0;;) {
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int count = 0;
  MPI_Get_count(&st, MPI_CHAR, &count);
  std::string text(static_cast<size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  *from = st.MPI_SOURCE;
  *tag = st.MPI_TAG;
  return text;
}
#endif

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
#ifdef SUPERPOSE_MPI
  if (!g_initialised && started_by_mpirun()) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    g_initialised = true;
  }
#else
  (void)argc;
  (void)argv;
#endif
}

MpiSession::~MpiSession() {
#ifdef SUPERPOSE_MPI
  if (g_initialised) {
    MPI_Finalize();
    g_initialised = false;
  }
#endif
}

int mpi_rank() {
#ifdef SUPERPOSE_MPI
  if (g_initialised) {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
  }
#endif
  return 0;
}

int mpi_size() {
#ifdef SUPERPOSE_MPI
  if (g_initialised) {
    int s = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    return s;
  }
#endif
  return 1;
}

bool mpi_built() {
#ifdef SUPERPOSE_MPI
  return true;
#else
  return false;
#endif
}

void mpi_farm(const std::vector<int>& order, const std::function<std::string(int)>& compute,
              const std::function<void(int, std::string)>& on_result) {
  const int size = mpi_size();
  if (size <= 1) {
    for (int id : order) on_result(id, compute(id));
    return;
  }
#ifdef SUPERPOSE_MPI
  if (mpi_rank() != 0) {  // worker: compute until told to stop
    for (;;) {
      int from = 0, tag = 0;
      const std::string msg = receive_text(&from, &tag);
      if (tag == kStop) return;
      const int id = std::stoi(msg);
      try {
        send_text(std::to_string(id) + "\n" + compute(id), 0, kResult);
      } catch (const InputError& e) {
        send_text(e.what(), 0, kInputError);
      } catch (const std::exception& e) {
        send_text(e.what(), 0, kOtherError);
      }
    }
  }
  // Coordinator: prime every worker, then one new task per result. After an error, or when on_result throws, it
  // stops handing out work, drains the results still under way and tells every worker to stop.
  size_t next = 0;
  int busy = 0;
  for (int w = 1; w < size; ++w) {
    if (next < order.size()) {
      send_text(std::to_string(order[next++]), w, kWork);
      ++busy;
    }
  }
  int error_tag = 0;
  std::string error_text;
  std::exception_ptr callback_error;
  while (busy > 0) {
    int from = 0, tag = 0;
    std::string msg = receive_text(&from, &tag);
    --busy;
    if (tag == kResult && !error_tag && !callback_error) {
      const size_t nl = msg.find('\n');
      try {
        on_result(std::stoi(msg.substr(0, nl)), msg.substr(nl + 1));
      } catch (...) {
        callback_error = std::current_exception();
      }
    } else if (tag == kInputError || tag == kOtherError) {
      if (!error_tag) {
        error_tag = tag;
        error_text = msg;
      }
    }
    if (!error_tag && !callback_error && next < order.size()) {
      send_text(std::to_string(order[next++]), from, kWork);
      ++busy;
    }
  }
  for (int w = 1; w < size; ++w) send_text("", w, kStop);
  if (callback_error) std::rethrow_exception(callback_error);
  if (error_tag == kInputError) throw InputError(error_text);
  if (error_tag) throw std::runtime_error(error_text);
#endif
}

}  // namespace superpose
