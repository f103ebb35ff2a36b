"""Lesson 03's build-it steps: GMF, NeuMF's forward pass, BCE over sampled negatives, and the fused head.

The learner writes ``GMF`` as an ``nn.Module``, NeuMF's logit from the two paths of a
:class:`~recsys_course.models.NeuMF`, the loss of a batch of positives with their sampled negatives, and the
head that fuses a pretrained GMF and MLP with ``alpha``; each runs beside the course's own on hidden cases.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn.functional as F

from ...build import Builder, function_step, loss_step, module_step, randomised
from ...models import GMF, MF, NeuMF


def neumf_logit(model: NeuMF, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """NeuMF's logit: GMF's element-wise product and the MLP tower's output, side by side, through one head."""
    gmf = model.gmf.user_emb(users) * model.gmf.item_emb(items)
    mlp = model.mlp.tower(torch.cat([model.mlp.user_emb(users), model.mlp.item_emb(items)], dim=-1))
    return model.head(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)


def sampled_bce(model, users: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over each user's positive (label 1) and its row of sampled ``negatives`` (label 0):
    one mean over all ``len(users) * (1 + n_neg)`` pairs, as the course's training batches weigh them."""
    n_neg = negatives.shape[1]
    all_users = torch.cat([users, users.repeat_interleave(n_neg)])
    all_items = torch.cat([positives, negatives.reshape(-1)])
    labels = torch.cat([torch.ones(len(users)), torch.zeros(negatives.numel())])
    return F.binary_cross_entropy_with_logits(model(all_users, all_items), labels)


def fused_head(gmf_head: torch.nn.Linear, mlp_head: torch.nn.Linear, alpha: float):
    """The (weight, bias) of NeuMF's head from a trained GMF's and MLP's heads (NCF section 3.4.1), so that the
    fused logit starts as ``alpha * GMF's logit + (1 - alpha) * the MLP's``."""
    weight = torch.cat([alpha * gmf_head.weight, (1 - alpha) * mlp_head.weight], dim=1)
    return weight.detach(), (alpha * gmf_head.bias + (1 - alpha) * mlp_head.bias).detach()


# Known mistakes.
class _GMFDot(GMF):
    def forward(self, users, items):
        return self.features(users, items).sum(-1)


class _GMFColumn(GMF):
    def forward(self, users, items):
        return self.head(self.features(users, items))


class _GMFProbability(GMF):
    def forward(self, users, items):
        return torch.sigmoid(super().forward(users, items))


def _calls_the_model(model, *inputs):
    return model(*inputs)


def _mlp_first(model, users, items):
    gmf = model.gmf.user_emb(users) * model.gmf.item_emb(items)
    mlp = model.mlp.tower(torch.cat([model.mlp.user_emb(users), model.mlp.item_emb(items)], dim=-1))
    return model.head(torch.cat([mlp, gmf], dim=-1)).squeeze(-1)


def _gmf_tables_for_both(model, users, items):
    gmf = model.gmf.user_emb(users) * model.gmf.item_emb(items)
    mlp = model.mlp.tower(torch.cat([model.gmf.user_emb(users), model.gmf.item_emb(items)], dim=-1))
    return model.head(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)


def _no_tower(model, users, items):
    gmf = model.gmf.user_emb(users) * model.gmf.item_emb(items)
    return model.head(torch.cat([gmf, model.mlp.user_emb(users), model.mlp.item_emb(items)], dim=-1)).squeeze(
        -1
    )


def _users_tiled(model, users, positives, negatives):
    n_neg = negatives.shape[1]
    all_users = torch.cat([users, users.repeat(n_neg)])
    labels = torch.cat([torch.ones(len(users)), torch.zeros(negatives.numel())])
    return F.binary_cross_entropy_with_logits(
        model(all_users, torch.cat([positives, negatives.reshape(-1)])), labels
    )


def _two_means(model, users, positives, negatives):
    n_neg = negatives.shape[1]
    positive = F.binary_cross_entropy_with_logits(model(users, positives), torch.ones(len(users)))
    scores = model(users.repeat_interleave(n_neg), negatives.reshape(-1))
    return positive + F.binary_cross_entropy_with_logits(scores, torch.zeros(negatives.numel()))


def _summed(model, users, positives, negatives):
    return sampled_bce(model, users, positives, negatives) * len(users) * (1 + negatives.shape[1])


def _flipped(model, users, positives, negatives):
    n_neg = negatives.shape[1]
    all_users = torch.cat([users, users.repeat_interleave(n_neg)])
    labels = torch.cat([torch.zeros(len(users)), torch.ones(negatives.numel())])
    return F.binary_cross_entropy_with_logits(
        model(all_users, torch.cat([positives, negatives.reshape(-1)])), labels
    )


def _mlp_unscaled(gmf_head, mlp_head, alpha):
    weight = torch.cat([alpha * gmf_head.weight, mlp_head.weight], dim=1)
    return weight.detach(), (alpha * gmf_head.bias + mlp_head.bias).detach()


def _gmf_bias_only(gmf_head, mlp_head, alpha):
    return fused_head(gmf_head, mlp_head, alpha)[0], gmf_head.bias.detach()


def _alpha_swapped(gmf_head, mlp_head, alpha):
    return fused_head(gmf_head, mlp_head, 1 - alpha)


def _gmf_cases() -> list:
    generator = torch.Generator().manual_seed(5)
    batch = torch.randint(7, (12,), generator=generator), torch.randint(9, (12,), generator=generator)
    return [
        ("a batch of 12 pairs, 4 factors", dict(args=(7, 9, 4), inputs=batch, seed=1)),
        (
            "one user against every item, 8 factors",
            dict(args=(7, 9, 8), inputs=(torch.full((9,), 3), torch.arange(9)), seed=2),
        ),
        (
            "a single pair, one factor",
            dict(args=(7, 9, 1), inputs=(torch.tensor([6]), torch.tensor([0])), seed=3),
        ),
    ]


def _neumf_cases() -> list:
    generator = torch.Generator().manual_seed(6)

    def case(factors, layers, seed):
        model = randomised(NeuMF(8, 10, factors=factors, mlp_layers=layers), seed)
        model = SimpleNamespace(
            gmf=model.gmf, mlp=model.mlp, head=model.head
        )  # its parts: the model is not callable
        return dict(
            args=(
                model,
                torch.randint(8, (6,), generator=generator),
                torch.randint(10, (6,), generator=generator),
            )
        )

    return [
        ("4 factors, a 16-8-4 tower", case(4, (16, 8, 4), 1)),
        ("8 factors, a 32-16-8 tower", case(8, (32, 16, 8), 2)),
        ("2 factors, a tower of 6-3", case(2, (6, 3), 3)),
    ]


def _loss_cases() -> list:
    def case(seed, batch, n_neg):
        generator = torch.Generator().manual_seed(seed)
        users = torch.randint(6, (batch,), generator=generator)
        positives = torch.randint(12, (batch,), generator=generator)
        negatives = torch.randint(12, (batch, n_neg), generator=generator)
        return dict(model=lambda: randomised(MF(6, 12, dim=3), seed), args=(users, positives, negatives))

    return [
        ("a batch of 5 positives with 4 negatives each", case(1, 5, 4)),
        ("3 positives with 1 negative each", case(2, 3, 1)),
        ("8 positives with 6 negatives each", case(3, 8, 6)),
    ]


def _fuse_cases() -> list:
    def case(seed, gmf_width, mlp_width, alpha):
        generator = torch.Generator().manual_seed(seed)
        heads = torch.nn.Linear(gmf_width, 1), torch.nn.Linear(mlp_width, 1)
        with torch.no_grad():
            for head in heads:
                for p in head.parameters():
                    p.copy_(torch.randn(p.shape, generator=generator))
        return dict(args=(*heads, alpha))

    return [
        ("heads of 4 and 4 inputs, alpha 0.5", case(1, 4, 4, 0.5)),
        ("heads of 8 and 2 inputs, alpha 0.3", case(2, 8, 2, 0.3)),
        ("heads of 3 and 5 inputs, alpha 0.9", case(3, 3, 5, 0.9)),
    ]


def steps() -> list:
    logit = "return the logit itself, one per pair (shape [batch]): the loss applies the sigmoid."
    return [
        module_step(
            "gmf",
            "GMF",
            GMF,
            _gmf_cases,
            known_mistakes=(
                (
                    "GMF weighs each dimension of the product with its head: h . (p * q) + b, not a plain sum.",
                    _GMFDot,
                ),
                ("squeeze the head's output to one logit per pair: shape [batch].", _GMFColumn),
                (logit, _GMFProbability),
            ),
            mistakes=("a plain dot product", "returning [batch, 1]", "returning a probability"),
        ),
        function_step(
            "neumf",
            "NeuMF logit",
            neumf_logit,
            _neumf_cases,
            known_mistakes=(
                (
                    "build it from the model's parts: the check hands your function the parts, not a model it "
                    "can call.",
                    _calls_the_model,
                ),
                (
                    "the head reads [GMF's product ; the MLP's output], GMF first, as the model was built.",
                    _mlp_first,
                ),
                (
                    "each path reads its own tables: the MLP's user_emb and item_emb live in model.mlp.",
                    _gmf_tables_for_both,
                ),
                ("the MLP path is the tower's output, not the raw concatenated embeddings.", _no_tower),
            ),
            mistakes=("the paths in the wrong order", "GMF's tables for both paths", "skipping the tower"),
        ),
        loss_step(
            "loss",
            "sampled BCE",
            sampled_bce,
            _loss_cases,
            known_mistakes=(
                (
                    "each row of negatives belongs to that row's user: repeat each user n_neg times in a row "
                    "(repeat_interleave), not the whole batch n_neg times.",
                    _users_tiled,
                ),
                (
                    "take one mean over all 1 + n_neg pairs of every user: a separate mean for the positives "
                    "makes one positive weigh as much as all its negatives.",
                    _two_means,
                ),
                (
                    "average the losses over the pairs (the default of binary_cross_entropy_with_logits), not a sum.",
                    _summed,
                ),
                ("positives are label 1 and negatives label 0.", _flipped),
            ),
            mistakes=("users tiled, not repeated", "two means", "a sum", "labels flipped"),
        ),
        function_step(
            "fuse",
            "fused head",
            fused_head,
            _fuse_cases,
            known_mistakes=(
                ("the MLP's half of the head is scaled by 1 - alpha.", _mlp_unscaled),
                ("the bias is fused too: alpha x GMF's bias + (1 - alpha) x the MLP's.", _gmf_bias_only),
                ("alpha weighs GMF's head, 1 - alpha the MLP's.", _alpha_swapped),
            ),
            mistakes=("the MLP half unscaled", "GMF's bias alone", "alpha on the wrong side"),
        ),
    ]


def builder() -> Builder:
    return Builder("03", steps())
