"""The notebook's seed CNN as a PyTorch module, shared by the reference scripts.

Attribute names and flatten order match the Swift checkpoints: conv_1, conv_2,
fc_1, fc_2, with torch.flatten(x, 1) giving (channel, row, column) order.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SeedCNN(nn.Module):
    """conv5x5(32) -> pool -> conv5x5(64) -> pool -> fc(1024) -> dropout -> fc(10)."""

    def __init__(self):
        super().__init__()
        self.conv_1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv_2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc_1 = nn.Linear(3136, 1024)
        self.fc_2 = nn.Linear(1024, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv_1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv_2(x)), 2)
        x = torch.flatten(x, 1)  # (channel, row, col) order
        x = F.relu(self.fc_1(x))
        x = F.dropout(x, 0.5, training=self.training)
        return self.fc_2(x)
