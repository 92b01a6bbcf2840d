// EnsembleInference: tiled, multithreaded CPU forward with reused buffers; batched elsewhere.
#include "mbrl/models/ensemble_inference.h"

#include <algorithm>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "mbrl/core/check.h"
#include "mbrl/models/gaussian_mlp_ensemble.h"

namespace mbrl {
namespace {

// layer l of member m as [in, out] and [1, out] views, detached so no autograd state is touched
struct MemberWeights {
  std::vector<std::vector<at::Tensor>> w, b;  // [layer][member]
};

MemberWeights member_weights(const GaussianMlpEnsemble& model) {
  MemberWeights mw;
  for (const auto& layer : model.layers()) {
    at::Tensor w = layer->weight.detach(), b = layer->bias.detach();
    std::vector<at::Tensor> ws, bs;
    for (int64_t m = 0; m < model.ensemble_size(); ++m) {
      ws.push_back(w.select(0, m));
      bs.push_back(b.select(0, m));
    }
    mw.w.push_back(std::move(ws));
    mw.b.push_back(std::move(bs));
  }
  return mw;
}

// raw outputs [M, N, cols] of `members` on every row of x, by batched matmuls (any device)
at::Tensor batched_forward(const GaussianMlpEnsemble& model, const at::Tensor& x,
                           const std::vector<int64_t>& members) {
  at::Tensor idx = torch::tensor(members, torch::kInt64).to(x.device());
  const auto m = static_cast<int64_t>(members.size());
  at::Tensor h = x.unsqueeze(0).expand({m, x.size(0), x.size(1)});
  const auto& layers = model.layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    h = at::baddbmm(layers[l]->bias.detach().index_select(0, idx), h,
                    layers[l]->weight.detach().index_select(0, idx));
    if (l + 1 < layers.size()) h = apply_activation(model.options().activation(), h);
  }
  return h;
}

}  // namespace

EnsembleInference::EnsembleInference(const GaussianMlpEnsemble& model) : model_(&model) {}

void EnsembleInference::add_jobs(std::vector<Job>& jobs, int64_t member, int64_t x_row,
                                 int64_t out_row, int64_t rows) {
  for (int64_t r = 0; r < rows; r += kTileRows) {
    jobs.push_back(Job{member, x_row + r, out_row + r, std::min(kTileRows, rows - r)});
  }
}

at::Tensor EnsembleInference::output_buffer(int64_t rows) {
  const int64_t cols = model_->output_columns();
  if (!out_.defined() || out_.size(0) < rows || out_.device() != model_->device()) {
    out_ = torch::empty({rows, cols}, torch::TensorOptions().device(model_->device()));
  }
  return out_.narrow(0, 0, rows);
}

at::Tensor EnsembleInference::forward_grouped(const at::Tensor& x,
                                              const std::vector<int64_t>& members,
                                              const std::vector<int64_t>& offsets) {
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  MBRL_CHECK_SHAPE(x, {-1, model_->input_dim()}, "x");
  MBRL_ASSERT(offsets.size() == members.size() + 1 && offsets.front() == 0 && offsets.back() == n,
              "group offsets must run from 0 to N");
  for (int64_t m : members) MBRL_ASSERT(m >= 0 && m < model_->ensemble_size(), "member ", m);

  if (!x.is_cpu()) {
    // every member used on every row, then each row's own member picked out
    at::Tensor all = batched_forward(*model_, x, members);
    std::vector<int64_t> group_of_row(n);
    for (size_t g = 0; g < members.size(); ++g) {
      std::fill(group_of_row.begin() + offsets[g], group_of_row.begin() + offsets[g + 1], g);
    }
    at::Tensor g = torch::tensor(group_of_row, torch::kInt64).to(x.device());
    return all.index({g, torch::arange(n, g.options())});
  }

  std::vector<Job> jobs;
  for (size_t g = 0; g < members.size(); ++g) {
    add_jobs(jobs, members[g], offsets[g], offsets[g], offsets[g + 1] - offsets[g]);
  }
  at::Tensor out = output_buffer(n);
  run_cpu(x.contiguous(), jobs, out);
  return out;
}

at::Tensor EnsembleInference::forward_all(const at::Tensor& x,
                                          const std::vector<int64_t>& members) {
  torch::NoGradGuard no_grad;
  MBRL_CHECK_SHAPE(x, {-1, model_->input_dim()}, "x");
  for (int64_t m : members) MBRL_ASSERT(m >= 0 && m < model_->ensemble_size(), "member ", m);
  if (!x.is_cpu()) return batched_forward(*model_, x, members);

  const int64_t n = x.size(0);
  const auto count = static_cast<int64_t>(members.size());
  std::vector<Job> jobs;
  for (int64_t j = 0; j < count; ++j) add_jobs(jobs, members[j], 0, j * n, n);
  at::Tensor out = output_buffer(count * n);
  run_cpu(x.contiguous(), jobs, out);
  return out.view({count, n, model_->output_columns()});
}

void EnsembleInference::run_cpu(const at::Tensor& x, const std::vector<Job>& jobs,
                                at::Tensor& out) {
  if (jobs.empty()) return;
  const MemberWeights mw = member_weights(*model_);
  const auto n_layers = static_cast<int64_t>(mw.w.size());
  const Activation activation = model_->options().activation();

  // one part per thread: contiguous runs of jobs with about equal numbers of rows
  const int64_t parts =
      std::min<int64_t>(std::max(1, at::get_num_threads()), static_cast<int64_t>(jobs.size()));
  int64_t total = 0;
  for (const Job& j : jobs) total += j.rows;
  std::vector<size_t> bounds{0};
  int64_t done = 0;
  for (size_t j = 0; j < jobs.size(); ++j) {
    done += jobs[j].rows;
    if (done * parts >= total * static_cast<int64_t>(bounds.size())) bounds.push_back(j + 1);
  }
  while (static_cast<int64_t>(bounds.size()) <= parts) bounds.push_back(jobs.size());
  while (static_cast<int64_t>(scratch_.size()) < parts) {
    scratch_.push_back(torch::empty({2, kTileRows, model_->options().hidden_size()}));
  }

  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    torch::NoGradGuard no_grad;
    for (int64_t p = p0; p < p1; ++p) {
      for (size_t j = bounds[p]; j < bounds[p + 1]; ++j) {
        const Job& job = jobs[j];

        // hidden layers in the part's two scratch tiles, then the output rows
        at::Tensor h = x.narrow(0, job.x_row, job.rows);
        for (int64_t l = 0; l + 1 < n_layers; ++l) {
          at::Tensor z = scratch_[p][l % 2].narrow(0, 0, job.rows);
          at::addmm_out(z, mw.b[l][job.member], h, mw.w[l][job.member]);
          apply_activation_(activation, z);
          h = z;
        }
        at::Tensor o = out.narrow(0, job.out_row, job.rows);
        at::addmm_out(o, mw.b[n_layers - 1][job.member], h, mw.w[n_layers - 1][job.member]);
      }
    }
  });
}

}  // namespace mbrl
