#!/usr/bin/python3
"""Reference timing of one SAC update in the Python code path mbrl-lib runs (Debian's PyTorch 1.13,
python3-torch), beside `BM_SacUpdate` of mbrl_benchmarks.

mbrl-lib cannot be installed here (no network), so this script re-creates, operation for operation,
the update of the SAC that mbrl-lib vendors (third_party/pytorch_sac_pranz24: sac.py
`update_parameters`, model.py `QNetwork` and `GaussianPolicy`): two Q networks of 2 x 256 ReLU
layers in one module, a tanh-squashed Gaussian policy with clamped log std, the critic step on
min(Q1', Q2') - alpha log pi', the policy step, the temperature step on log alpha, a Polyak update
of the target critic and the five `.item()` calls that return the losses. Like BM_SacUpdate it
times the update on a batch that is already a tensor (mbrl-lib's replay sampling and numpy
conversion are left out, in its favour).

Run both on the same kernels (OpenBLAS falls back to SSE3 kernels on some CPUs; mbrl restarts
itself with OPENBLAS_CORETYPE set, see mbrl/core/blas_kernels.h):
  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 benchmarks/agents/sac_reference.py --threads 1
"""
import argparse
import time

import torch
import torch.nn.functional as F
from torch.distributions import Normal


def init_linear(m):
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight, gain=1)
        torch.nn.init.constant_(m.bias, 0)


class QNetwork(torch.nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.q1 = torch.nn.ModuleList([torch.nn.Linear(obs_dim + act_dim, hidden),
                                       torch.nn.Linear(hidden, hidden), torch.nn.Linear(hidden, 1)])
        self.q2 = torch.nn.ModuleList([torch.nn.Linear(obs_dim + act_dim, hidden),
                                       torch.nn.Linear(hidden, hidden), torch.nn.Linear(hidden, 1)])
        self.apply(init_linear)

    @staticmethod
    def head(layers, x):
        x = F.relu(layers[0](x))
        x = F.relu(layers[1](x))
        return layers[2](x)

    def forward(self, obs, act):
        x = torch.cat([obs, act], 1)
        return self.head(self.q1, x), self.head(self.q2, x)


class GaussianPolicy(torch.nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.linear1 = torch.nn.Linear(obs_dim, hidden)
        self.linear2 = torch.nn.Linear(hidden, hidden)
        self.mean = torch.nn.Linear(hidden, act_dim)
        self.log_std = torch.nn.Linear(hidden, act_dim)
        self.apply(init_linear)

    def sample(self, obs):
        x = F.relu(self.linear2(F.relu(self.linear1(obs))))
        mean, log_std = self.mean(x), self.log_std(x).clamp(-20, 2)
        normal = Normal(mean, log_std.exp())
        x_t = normal.rsample()
        y_t = torch.tanh(x_t)
        log_prob = normal.log_prob(x_t) - torch.log(1.0 * (1 - y_t.pow(2)) + 1e-6)
        return y_t, log_prob.sum(1, keepdim=True)


class Sac:
    def __init__(self, obs_dim, act_dim, hidden=256, lr=3e-4, gamma=0.99, tau=0.005):
        self.critic = QNetwork(obs_dim, act_dim, hidden)
        self.critic_target = QNetwork(obs_dim, act_dim, hidden)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.policy = GaussianPolicy(obs_dim, act_dim, hidden)
        self.log_alpha = torch.zeros(1, requires_grad=True)
        self.alpha = 0.2
        self.target_entropy = -float(act_dim)
        self.critic_optim = torch.optim.Adam(self.critic.parameters(), lr=lr)
        self.policy_optim = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.alpha_optim = torch.optim.Adam([self.log_alpha], lr=lr)
        self.gamma, self.tau = gamma, tau

    def update(self, obs, act, next_obs, reward, mask):
        with torch.no_grad():
            next_act, next_log_pi = self.policy.sample(next_obs)
            q1_next, q2_next = self.critic_target(next_obs, next_act)
            min_q_next = torch.min(q1_next, q2_next) - self.alpha * next_log_pi
            target = reward + mask * self.gamma * min_q_next
        q1, q2 = self.critic(obs, act)
        q1_loss, q2_loss = F.mse_loss(q1, target), F.mse_loss(q2, target)
        self.critic_optim.zero_grad()
        (q1_loss + q2_loss).backward()
        self.critic_optim.step()

        pi, log_pi = self.policy.sample(obs)
        q1_pi, q2_pi = self.critic(obs, pi)
        policy_loss = ((self.alpha * log_pi) - torch.min(q1_pi, q2_pi)).mean()
        self.policy_optim.zero_grad()
        policy_loss.backward()
        self.policy_optim.step()

        alpha_loss = -(self.log_alpha * (log_pi + self.target_entropy).detach()).mean()
        self.alpha_optim.zero_grad()
        alpha_loss.backward()
        self.alpha_optim.step()
        self.alpha = self.log_alpha.exp()

        for t, p in zip(self.critic_target.parameters(), self.critic.parameters()):
            t.data.copy_(t.data * (1.0 - self.tau) + p.data * self.tau)
        return (q1_loss.item(), q2_loss.item(), policy_loss.item(), alpha_loss.item(),
                self.alpha.clone().item())


def time_update(obs_dim, act_dim, batch, seconds):
    torch.manual_seed(0)
    sac = Sac(obs_dim, act_dim)
    data = (torch.randn(batch, obs_dim), torch.rand(batch, act_dim) * 2 - 1,
            torch.randn(batch, obs_dim), torch.randn(batch, 1), torch.ones(batch, 1))
    for _ in range(5):  # warm-up (Adam state allocation), as BM_SacUpdate
        sac.update(*data)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sac.update(*data)
        n += 1
    return (time.perf_counter() - start) / n * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for obs_dim, act_dim in ((3, 1), (17, 6)):
        ms = time_update(obs_dim, act_dim, 256, args.seconds)
        print(f"pranz24 SAC update threads:{args.threads} obs:{obs_dim} act:{act_dim} B:256  "
              f"{ms:.2f} ms")


if __name__ == "__main__":
    main()
