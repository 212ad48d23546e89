//! Organizations and their groups (labs, projects) that own datasets.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::entity::{group, organization};
use crate::{Catalog, CatalogError};

impl Catalog {
    /// The organization called `name`, created if absent.
    pub async fn ensure_organization(
        &self,
        name: &str,
        ror_id: Option<&str>,
    ) -> Result<organization::Model, CatalogError> {
        if let Some(org) =
            organization::Entity::find().filter(organization::Column::Name.eq(name)).one(self.connection()).await?
        {
            return Ok(org);
        }
        let org = organization::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.to_owned()),
            ror_id: Set(ror_id.map(str::to_owned)),
            created_at: Set(Utc::now()),
        };
        Ok(organization::Entity::insert(org).exec_with_returning(self.connection()).await?)
    }

    /// A group and its organization, by the group's id.
    pub async fn group_with_organization(
        &self,
        group_id: Uuid,
    ) -> Result<(group::Model, organization::Model), CatalogError> {
        let g = group::Entity::find_by_id(group_id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::NotFound("group".into()))?;
        let o = organization::Entity::find_by_id(g.organization_id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::NotFound("organization".into()))?;
        Ok((g, o))
    }

    /// Every group with its organization, by organization then group name: what a consortium
    /// coordinator chooses new members from.
    pub async fn groups_with_organizations(&self) -> Result<Vec<(group::Model, organization::Model)>, CatalogError> {
        let organizations = self.organizations().await?;
        let groups = group::Entity::find().order_by_asc(group::Column::Name).all(self.connection()).await?;
        let mut out = Vec::with_capacity(groups.len());
        for o in organizations {
            out.extend(groups.iter().filter(|g| g.organization_id == o.id).map(|g| (g.clone(), o.clone())));
        }
        Ok(out)
    }

    /// Every organization, by name.
    pub async fn organizations(&self) -> Result<Vec<organization::Model>, CatalogError> {
        Ok(organization::Entity::find().order_by_asc(organization::Column::Name).all(self.connection()).await?)
    }

    /// The group `name` of an organization, created if absent.
    pub async fn ensure_group(&self, organization_id: Uuid, name: &str) -> Result<group::Model, CatalogError> {
        if let Some(g) = group::Entity::find()
            .filter(group::Column::OrganizationId.eq(organization_id))
            .filter(group::Column::Name.eq(name))
            .one(self.connection())
            .await?
        {
            return Ok(g);
        }
        let g = group::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization_id),
            name: Set(name.to_owned()),
            created_at: Set(Utc::now()),
        };
        Ok(group::Entity::insert(g).exec_with_returning(self.connection()).await?)
    }
}
