/** The page frame (masthead, navigation) and the routes. */
import {
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Title,
} from '@patternfly/react-core';
import { BarsIcon } from '@patternfly/react-icons';
import { ApiContext } from './api/api-context.tsx';
import type { ApiClient } from './api/client.ts';
import type { RuntimeConfig } from './api/runtime-config.ts';
import { signOut } from './api/oidc.ts';
import { Link, matchPath, navigate, useLocation } from './router.tsx';
import { ImagesPage } from './pages/images-page.tsx';
import { ImageDetailsPage } from './pages/image-details-page.tsx';
import { CreateImagePage } from './pages/create-image-page.tsx';
import { BlueprintsPage } from './pages/blueprints-page.tsx';
import { BlueprintDetailsPage } from './pages/blueprint-details-page.tsx';
import { BlueprintEditPage } from './pages/blueprint-edit-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';

function routeOf(path: string) {
  let p: Record<string, string> | undefined;
  if (path === '/' || path === '/images') return <ImagesPage />;
  if (path === '/images/new') return <CreateImagePage />;
  if ((p = matchPath('/images/:id', path))) return <ImageDetailsPage id={p.id} />;
  if (path === '/blueprints') return <BlueprintsPage />;
  if (path === '/blueprints/new') return <BlueprintEditPage />;
  if ((p = matchPath('/blueprints/:id/edit', path))) return <BlueprintEditPage id={p.id} />;
  if ((p = matchPath('/blueprints/:id', path))) return <BlueprintDetailsPage id={p.id} />;
  return <NotFoundPage />;
}

export function App({ api, config }: { api: ApiClient; config: RuntimeConfig }) {
  const { path } = useLocation();
  const section = path.startsWith('/blueprints') ? 'blueprints' : 'images';
  const auth = config.auth;
  const org = auth.mode === 'header' ? auth.org : auth.mode === 'local' ? auth.org : undefined;
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton variant="plain" aria-label="Navigation">
            <BarsIcon />
          </PageToggleButton>
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component="a" href="/" onClick={(e: React.MouseEvent) => (e.preventDefault(), navigate('/'))}>
            <Title headingLevel="h1" size="lg" style={{ color: 'inherit' }}>
              Image Builder
            </Title>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <span style={{ marginLeft: 'auto' }}>{org ? `Organization: ${org}` : null}</span>
        {auth.mode === 'oidc' ? (
          <Button variant="secondary" onClick={() => void signOut(auth)} style={{ marginLeft: 16 }}>
            Sign out
          </Button>
        ) : null}
      </MastheadContent>
    </Masthead>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main">
          <NavList>
            <NavItem isActive={section === 'images'}>
              <Link to="/">Images</Link>
            </NavItem>
            <NavItem isActive={section === 'blueprints'}>
              <Link to="/blueprints">Blueprints</Link>
            </NavItem>
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <ApiContext.Provider value={{ api, config }}>
      <Page
        masthead={masthead}
        sidebar={sidebar}
        isManagedSidebar
        mainContainerId="main-content"
        skipToContent={<SkipToContent href="#main-content">Skip to content</SkipToContent>}
      >
        {routeOf(path)}
      </Page>
    </ApiContext.Provider>
  );
}
