# The runner AMI: Fedora Cloud + osbuild (from Fedora) + Node.js + the bundled runner agent under systemd.
# One template, two builds (x86_64 and aarch64): osbuild builds images for the host architecture only.
#
#   npx tsx runner-ami/build.ts                          # bundle the agent to runner-ami/dist/runner-agent.mjs
#   packer init runner-ami/packer
#   packer build -var stage=dev -var region=eu-west-1 runner-ami/packer
#
# Each build publishes its AMI id to SSM (`<ssm_prefix>/<stage>/runner-ami/<arch>`); the stack's launch templates
# resolve the image from there (docs/runner.md).

packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "stage" {
  type        = string
  default     = "dev"
  description = "Deployment stage; part of the AMI name and of the SSM parameter the stack reads."
}

variable "fedora_release" {
  type    = string
  default = "44"
}

variable "fedora_owner" {
  type        = string
  default     = "125523088429"
  description = "AWS account that publishes the Fedora Cloud AMIs."
}

variable "instance_types" {
  type = map(string)
  default = {
    x86_64  = "m7i.large"
    aarch64 = "m7g.large"
  }
}

variable "root_volume_gib" {
  type    = number
  default = 30
}

variable "agent_bundle" {
  type        = string
  default     = "runner-ami/dist/runner-agent.mjs"
  description = "The agent bundled by runner-ami/build.ts."
}

variable "ssm_prefix" {
  type        = string
  default     = "/ibs"
  description = "The stack reads resolve:ssm:<ssm_prefix>/<stage>/runner-ami/<arch> (serverless.yml params runnerAmi*)."
}

variable "publish_ssm" {
  type        = bool
  default     = true
  description = "Write the new AMI ids to SSM (needs ssm:PutParameter where packer runs)."
}

locals {
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())
  tags = {
    Project      = "image-builder-serverless"
    Component    = "runner"
    Stage        = var.stage
    BaseOS       = "Fedora-Cloud-${var.fedora_release}"
    AgentVersion = local.timestamp
  }
}

source "amazon-ebs" "runner" {
  region       = var.region
  ssh_username = "fedora"
  imds_support = "v2.0"
  ena_support  = true
  tags         = local.tags
  run_tags     = local.tags

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.root_volume_gib
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    delete_on_termination = true
  }
}

build {
  source "amazon-ebs.runner" {
    name          = "x86_64"
    instance_type = var.instance_types["x86_64"]
    ami_name      = "ibs-runner-${var.stage}-x86_64-${local.timestamp}"

    # The newest Fedora Cloud image of the release, resolved when the build starts.
    source_ami_filter {
      owners      = [var.fedora_owner]
      most_recent = true
      filters = {
        name                = "Fedora-Cloud-Base-AmazonEC2.x86_64-${var.fedora_release}-*"
        architecture        = "x86_64"
        virtualization-type = "hvm"
        root-device-type    = "ebs"
      }
    }
  }

  source "amazon-ebs.runner" {
    name          = "aarch64"
    instance_type = var.instance_types["aarch64"]
    ami_name      = "ibs-runner-${var.stage}-aarch64-${local.timestamp}"

    # The newest Fedora Cloud image of the release, resolved when the build starts.
    source_ami_filter {
      owners      = [var.fedora_owner]
      most_recent = true
      filters = {
        name                = "Fedora-Cloud-Base-AmazonEC2.aarch64-${var.fedora_release}-*"
        architecture        = "arm64"
        virtualization-type = "hvm"
        root-device-type    = "ebs"
      }
    }
  }

  provisioner "file" {
    source      = var.agent_bundle
    destination = "/tmp/runner-agent.mjs"
  }

  provisioner "file" {
    source      = "${path.root}/files/"
    destination = "/tmp/ibs-files"
  }

  provisioner "shell" {
    execute_command = "sudo -E bash '{{ .Path }}'"
    scripts = [
      "${path.root}/scripts/install-packages.sh",
      "${path.root}/scripts/install-agent.sh",
      "${path.root}/scripts/cleanup.sh",
    ]
  }

  post-processor "manifest" {
    output     = "runner-ami/dist/packer-manifest.json"
    strip_path = true
  }

  post-processor "shell-local" {
    environment_vars = [
      "MANIFEST=runner-ami/dist/packer-manifest.json",
      "BUILD_NAME=${source.name}",
      "PARAMETER=${var.ssm_prefix}/${var.stage}/runner-ami/${source.name}",
      "REGION=${var.region}",
      "PUBLISH=${var.publish_ssm}",
    ]
    script = "${path.root}/scripts/publish-ami.sh"
  }
}
